"""Small-cell suppression and the per-tenant threshold."""
