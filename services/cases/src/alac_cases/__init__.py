"""Cases: triage, assignment, the consent-gated workflow, outcomes."""

# The service's name: its events' source (/alac/cases), its runtime's and key grant's name.
SERVICE = "cases"
