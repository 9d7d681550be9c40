"""Cases: triage, assignment, the consent-gated workflow, outcomes."""
