"""A centre's offboarding: intake's part of its archive (docs/tenancy.md)."""
