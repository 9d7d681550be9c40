"""`alac analytics ...`: operate the analytics read model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from alac_analytics.runtime import AnalyticsRuntime
    from alac_kernel.settings import Settings

app = typer.Typer(
    help="Analytics: rebuild the read model from the event log.", no_args_is_help=True
)


def _build_runtime(settings: Settings) -> AnalyticsRuntime:
    # The service is imported once the database is known to be there: a command run from the
    # wrong folder says so without loading it.
    from alac_analytics.app import build_runtime

    return build_runtime(settings)


@app.command()
def rebuild(
    # projections.rebuild.BATCH (not imported here: the CLI loads the service lazily)
    batch_size: int = typer.Option(20_000, min=1, help="Records per poll and transaction"),
) -> None:
    """Rebuild complaint_facts, daily_counts and monthly_counts from the log, then swap."""
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("analytics", _build_runtime)
    try:
        from alac_analytics.projections.rebuild import rebuild as run_rebuild

        runtime.migrate()
        result = run_rebuild(runtime, batch_size=batch_size)
    finally:
        runtime.close()
    typer.echo(
        f"analytics: rebuilt {result.facts} complaint facts from {result.events} events "
        f"({result.applied} applied) in {result.seconds:.1f} s "
        f"({result.events_per_second:,.0f} events/s)"
    )


@app.command("detect-patterns")
def detect_patterns(
    tenant: str = typer.Option(..., help="Tenant code, e.g. tk"),
    window_end: str = typer.Option(None, help="Exclusive end date (YYYY-MM-DD); default today"),
) -> None:
    """Run the pattern test for one tenant (e.g. daily from cron); prints the alerts raised."""
    from datetime import date

    from alac_kernel.db import utcnow
    from alac_kernel.operations import runtime_for_operation

    end = date.fromisoformat(window_end) if window_end else utcnow().date()
    runtime = runtime_for_operation("analytics", _build_runtime)
    try:
        from alac_analytics.alerts.service import Rule, detect_now

        found = detect_now(
            session_factory=runtime.session_factory,
            outbox=runtime.outbox,
            tenant=tenant,
            window_end=end,
            rule=Rule(),
        )
    finally:
        runtime.close()
    lines = [
        f"{a.dimension}={a.value}: {a.count} vs baseline {a.baseline} (p={a.p_value:.2g})"
        for a in found
    ]
    typer.echo("\n".join(lines) or "no unusual concentration")
