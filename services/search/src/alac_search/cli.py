"""`alac search ...`: operate the search index."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from alac_kernel.settings import Settings
    from alac_search.runtime import SearchRuntime

app = typer.Typer(help="Operate the search index.", no_args_is_help=True)


def _build_runtime(settings: Settings) -> SearchRuntime:
    # The service is imported once the database is known to be there: a command run from the
    # wrong folder says so without loading it.
    from alac_search.app import build_runtime

    return build_runtime(settings)


@app.command()
def reindex() -> None:
    """Rebuild the index from the event log into a new index and swap it in atomically."""
    from alac_kernel.operations import runtime_for_operation

    runtime = runtime_for_operation("search", _build_runtime)
    try:
        from alac_search.indexing.rebuild import rebuild

        count = rebuild(runtime, runtime.search_engine)
    finally:
        runtime.close()
    typer.echo(f"search index rebuilt from {count} events")
