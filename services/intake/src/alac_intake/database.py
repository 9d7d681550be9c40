"""Intake's database: the declarative base every table model of intake derives from, and the
tables it holds for the kernel (outbox, inbox, idempotency keys, rate-limit hits, staff names). The domain
tables live beside their domain: complaints/models.py, vault/models.py, partners/models.py, ..."""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from alac_kernel.limits import add_rate_limit_table
from alac_kernel.staff_names import add_staff_names_table
from alac_kernel.tables import add_kernel_tables


class Base(DeclarativeBase):
    pass


kernel_tables = add_kernel_tables(Base.metadata)
rate_limit_hits = add_rate_limit_table(Base.metadata)
# Staff names from cases' staff.* events: who recorded a complaint, who wrote a message.
staff_names = add_staff_names_table(Base.metadata)


def all_tables() -> MetaData:
    """Base.metadata with every table of intake: each domain's models module adds its tables
    when imported, so they are all imported here (the runtime, migrations, offboarding a
    tenant and `alac db revision` need the whole set)."""
    from alac_intake.attachments import models as _attachments  # noqa: F401
    from alac_intake.complaints import models as _complaints  # noqa: F401
    from alac_intake.duplicates import models as _duplicates  # noqa: F401
    from alac_intake.followup import models as _followup  # noqa: F401
    from alac_intake.lifecycle import models as _lifecycle  # noqa: F401
    from alac_intake.partners import models as _partners  # noqa: F401
    from alac_intake.progress import models as _progress  # noqa: F401
    from alac_intake.reference import models as _reference  # noqa: F401
    from alac_intake.vault import models as _vault  # noqa: F401

    return Base.metadata
