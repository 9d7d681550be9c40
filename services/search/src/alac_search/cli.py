"""`alac search ...`: operate the search index."""

from __future__ import annotations

import typer

app = typer.Typer(help="Operate the search index.", no_args_is_help=True)


@app.command()
def reindex() -> None:
    """Rebuild the index from the event log into a new index and swap it in atomically."""
    from alac_kernel.operations import runtime_for_operation
    from alac_search.app import build_runtime
    from alac_search.indexing.rebuild import rebuild

    runtime = runtime_for_operation("search", build_runtime)
    try:
        count = rebuild(runtime, runtime.search_engine)
    finally:
        runtime.close()
    typer.echo(f"search index rebuilt from {count} events")
