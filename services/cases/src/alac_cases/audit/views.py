"""HTTP API of the audit trail of a case."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from alac_cases import views as http
from alac_cases.audit import service

router = APIRouter(prefix="/v1", tags=["audit"])

# The callers each route lets in (permissions.MATRIX).
AuditReader = Annotated[http.OneCase, http.one_case("audit.read")]


class AuditRead(BaseModel):
    seq: int
    actor: str
    actor_name: str | None = None  # from the staff registry (invited staff)
    actor_role: str
    at: datetime
    what: str
    detail: dict
    hash: str


@router.get(
    "/cases/{case_id}/audit",
    **http.answers(list[AuditRead], "Who read or changed this case file, and when (oldest first)"),
)
def case_audit(case: AuditReader) -> list[AuditRead]:
    return http.read_all(AuditRead, service.trail_of_case(**case.arguments()))
