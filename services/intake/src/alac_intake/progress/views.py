"""The tenant admin's list of complainant e-mails that could not be delivered, and "retry
now" (progress/admin.py). Tenant admins only: other roles get 403, another tenant's e-mail
is 404 like a missing one."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from alac_intake.progress import admin
from alac_intake.progress.schemas import FailedMail, FailedMailPage
from alac_intake.views import Runtime, TenantAdmin
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1/complainant-mail", tags=["complainant e-mail"])


@router.get(
    "/failed",
    response_model=FailedMailPage,
    summary="The tenant's progress e-mails to complainants that failed (tenant admin)",
    description=(
        "Given up, or failed at their last attempt and waiting for the next; newest first. "
        "Each names the complaint, never the complainant's address (a tenant admin does not "
        "read contact details)."
    ),
    responses=problem_responses(
        401, (403, "Tenant admins only"), (422, "A bad `limit` or `cursor`"), with_schema=True
    ),
)
def list_failed(
    principal: TenantAdmin,
    rt: Runtime,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[
        str | None, Query(max_length=600, description="`next` of the previous page")
    ] = None,
) -> FailedMailPage:
    items, following = admin.failed_mail(rt, principal, limit=limit, cursor=cursor)
    return FailedMailPage(items=[FailedMail(**i) for i in items], next=following)


@router.post(
    "/{delivery_id}/retry",
    response_model=FailedMail,
    summary="Send a failed progress e-mail again now (tenant admin)",
    description=(
        "One more attempt at the worker's next pass; if it fails, the e-mail is failed again. "
        "409 when it may have arrived already (sending was interrupted), did not fail, a later "
        "e-mail to the same complainant was sent or waits, or the complainant may no longer be "
        "written to."
    ),
    responses=problem_responses(
        401,
        (403, "Tenant admins only"),
        (404, "No such e-mail (or another tenant's)"),
        (409, "It may not be sent again now (see `detail`)"),
        with_schema=True,
    ),  # fmt: skip
)
def retry(
    delivery_id: Annotated[str, Path(max_length=36)], principal: TenantAdmin, rt: Runtime
) -> FailedMail:
    return FailedMail(**admin.retry(rt, principal, delivery_id))
