"""The ceiling: a bare FastAPI hello-world POST endpoint served by the same uvicorn, with the
same options and server loop `alac serve` uses (alac_kernel.serving: log_config=None,
access_log=False, single process).

It reads the body (as any POST endpoint must) and answers 201 with a small JSON document; no
validation, no auth, no database. Whatever intake does beyond this is its own cost.

Run: python -m bench.ceiling --port P
"""

from __future__ import annotations

import argparse
import itertools

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from alac_kernel.serving import serve

app = FastAPI(title="bench ceiling", docs_url=None, redoc_url=None, openapi_url=None)
_ids = itertools.count(1)


@app.post("/v1/complaints", status_code=201)
async def accept(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"id": str(next(_ids)), "status": "received"}, status_code=201)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    serve(app, host=args.host, port=args.port)


if __name__ == "__main__":
    main()
