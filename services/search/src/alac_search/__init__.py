"""Search: full-text search over complaints and cases, scoped per tenant and role."""
