"""Orthodox Christmas (7 January) in the holiday calendar

Labour Code of Kazakhstan art. 84 and the Law "On holidays" list Orthodox Christmas, 7 January,
among the religious holidays that are days off (like the first day of Kurban Ait); the first
seed missed it. Religious holidays are not carried over when they fall on a weekend.

Revision ID: 5b1c7e2a9d40
Revises: 0eb5ef29c12d
Create Date: 2026-11-22
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "5b1c7e2a9d40"
down_revision = "0eb5ef29c12d"
branch_labels = None
depends_on = None

DAYS = [date(year, 1, 7) for year in (2025, 2026, 2027)]
HOLIDAYS = sa.table("holidays", sa.column("day", sa.Date), sa.column("name", sa.String))


def upgrade() -> None:
    op.bulk_insert(HOLIDAYS, [{"day": d, "name": "Orthodox Christmas"} for d in DAYS])


def downgrade() -> None:
    op.execute(HOLIDAYS.delete().where(HOLIDAYS.c.day.in_(DAYS)))
