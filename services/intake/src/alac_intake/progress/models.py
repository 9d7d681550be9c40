"""The delivery outbox of progress e-mails (alac_kernel.delivery's table shape): one row per
e-mail, the complaint id as recipient, never the address or the body."""

from __future__ import annotations

from alac_intake.database import Base
from alac_kernel.delivery import add_delivery_table

complainant_mail = add_delivery_table(Base.metadata, "complainant_mail")
