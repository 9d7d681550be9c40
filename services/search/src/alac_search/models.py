"""Search's own database holds only the kernel tables (its inbox); the index lives in the
search engine."""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from alac_kernel.tables import add_kernel_tables


class Base(DeclarativeBase):
    pass


kernel_tables = add_kernel_tables(Base.metadata)
