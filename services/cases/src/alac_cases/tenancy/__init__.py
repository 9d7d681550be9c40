"""The tenant registry: which centres exist, their offices and settings, and the onboarding,
suspension and offboarding of a centre (docs/tenancy.md)."""
