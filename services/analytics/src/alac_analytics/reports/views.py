"""GET /v1/reports/statistics: the ALAC statistical report for offices and a period."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from alac_analytics.periods import FIRST_DAY, LAST_DAY
from alac_analytics.reports import export, service
from alac_analytics.runtime import AnalyticsRuntime, runtime
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.languages import Language
from alac_kernel.problems import Responses, problem_responses

router = APIRouter(prefix="/v1/reports", tags=["reports"])

ReportReader = Annotated[
    Principal,
    Depends(require_roles(roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST)),
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"json": "application/json", "csv": "text/csv", "xlsx": XLSX, "pdf": "application/pdf"}
Format = Literal["json", "csv", "xlsx", "pdf"]
Runtime = Annotated[AnalyticsRuntime, Depends(runtime)]
# The report in JSON, CSV, XLSX or PDF; the problems any statistics route may answer.
FORMATS: Responses = {200: {"content": {"text/csv": {}, XLSX: {}, "application/pdf": {}}}}
RESPONSES = FORMATS | problem_responses(401, 403, 422)


def negotiate(requested: Format | None, accept: str) -> Format:
    if requested:
        return requested
    for fmt in ("pdf", "xlsx", "csv"):
        if MEDIA[fmt] in accept:
            return fmt
    return "json"


@router.get(
    "/statistics",
    summary="The statistical report: totals, breakdowns by every dimension, outcomes, months",
    responses=RESPONSES,
)
def get_statistics(
    request: Request,
    runtime: Runtime,
    principal: ReportReader,
    period_from: Annotated[
        date, Query(alias="from", description="First day received", ge=FIRST_DAY, le=LAST_DAY)
    ],
    period_to: Annotated[
        date,
        Query(alias="to", description="Last day received (inclusive)", ge=FIRST_DAY, le=LAST_DAY),
    ],
    office: Annotated[
        list[str] | None, Query(description="An office code; repeat for several offices")
    ] = None,
    fmt: Annotated[Format | None, Query(alias="format")] = None,
    lang: Annotated[
        Language, Query(description="Language of the PDF's text and the CSV/XLSX labels")
    ] = "en",
) -> Response:
    report, names = service.tenant_report(
        session_factory=runtime.read_session_factory,
        principal=principal,
        offices=office,
        period_from=period_from,
        period_to=period_to,
        lang=lang,
    )
    name = download_name("alac-statistics", principal.tenant, office, period_from, period_to)
    return render(report, fmt, request, name, lang, names)


def download_name(
    prefix: str, tenant: str | None, offices: list[str] | None, start: date, end: date
) -> str:
    """A file name that says whose report it is and for when, so two downloads never clash:
    alac-statistics-tk-almaty-2025-01-01-2025-12-31 (codes are checked a-z0-9_ already)."""
    chosen = sorted(set(offices or []))
    where = (
        "all" if not chosen else "-".join(chosen) if len(chosen) <= 3 else f"{len(chosen)}-offices"
    )
    # The tenant comes from the token: kept to safe characters, as it goes into a header.
    who = re.sub(r"[^A-Za-z0-9_-]", "_", tenant)[:64] + "-" if tenant else ""
    return f"{prefix}-{who}{where}-{start}-{end}"


def render(
    report: dict[str, Any],
    fmt: Format | None,
    request: Request,
    name: str,
    lang: Language = "en",
    tenant_names: dict[str, str] | None = None,
) -> Response:
    chosen = negotiate(fmt, request.headers.get("accept", ""))
    if chosen == "pdf":
        from alac_analytics.reports import pdf  # fpdf2 and the fonts load only for a PDF

        return Response(
            pdf.render(report, lang, tenant_names=tenant_names),
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}-{lang}.pdf"'},
        )
    if chosen == "csv":
        return Response(
            export.to_csv(report, lang),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}-{lang}.csv"'},
        )
    if chosen == "xlsx":
        return Response(
            export.to_xlsx(report, lang),
            media_type=XLSX,
            headers={"Content-Disposition": f'attachment; filename="{name}-{lang}.xlsx"'},
        )
    return JSONResponse(report)


network = APIRouter(prefix="/v1/network", tags=["network"])
NetworkAnalyst = Annotated[Principal, Depends(require_roles(roles.NETWORK_ANALYST))]


@network.get(
    "/statistics",
    summary="The statistical report across every tenant: aggregates only, small cells hidden",
    responses=RESPONSES,
)
def get_network_statistics(
    request: Request,
    runtime: Runtime,
    principal: NetworkAnalyst,
    period_from: Annotated[
        date, Query(alias="from", description="First day received", ge=FIRST_DAY, le=LAST_DAY)
    ],
    period_to: Annotated[
        date,
        Query(alias="to", description="Last day received (inclusive)", ge=FIRST_DAY, le=LAST_DAY),
    ],
    fmt: Annotated[Format | None, Query(alias="format")] = None,
    lang: Annotated[
        Language, Query(description="Language of the PDF's text and the CSV/XLSX labels")
    ] = "en",
) -> Response:
    report, names = service.network_report(
        session_factory=runtime.read_session_factory,
        period_from=period_from,
        period_to=period_to,
        lang=lang,
    )
    name = download_name("alac-network-statistics", None, None, period_from, period_to)
    return render(report, fmt, request, name, lang, names)
