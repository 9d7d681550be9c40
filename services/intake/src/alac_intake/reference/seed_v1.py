"""Reference data as first seeded: the lists live in the kernel (alac_kernel.reference.seed_v1)
so analytics and the reports print the same labels without reading intake's database. FROZEN:
migration 3a606bd6002e imports this module."""

from alac_kernel.reference.seed_v1 import CITIES, LISTS, PUBLIC_OFFICES, REGIONS, rows

__all__ = ["CITIES", "LISTS", "PUBLIC_OFFICES", "REGIONS", "rows"]
