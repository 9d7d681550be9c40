"""The case: one per received complaint, followed from triage to an outcome.

`models` (the table), `schemas` (what the API reads and writes), `access` (loading a case the
caller may see), `commands` (the one way a use case reads or changes a case: scope, lock,
version check, audit), `events` (the one way to build each case event), `service` (the case's
own use cases), `views` (HTTP), `http` (what every case router shares)."""
