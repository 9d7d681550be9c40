"""Cases' runtime: the kernel's ServiceRuntime with what cases' use cases need besides the
database and the outbox, as typed fields (set once by app.build_runtime; tests may swap one);
and `runtime(request)`, the views' dependency that hands it to them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from fastapi import Request

from alac_cases.letters.store import LetterStore
from alac_cases.tenancy.intake_archive import IntakeArchive
from alac_kernel.app import typed_runtime
from alac_kernel.crypto import MasterKeys
from alac_kernel.cursors import CursorCodec, load_cursor_key
from alac_kernel.identity import IdentityAdmin
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.sealed_text import TextKeys


@dataclass(kw_only=True)
class CasesRuntime(ServiceRuntime):
    # Wraps each tenant's letter key (letters/keys.py).
    master_keys: MasterKeys
    # Intake's key service, asked for a complaint's text key to open the crux of its events.
    text_keys: TextKeys
    # The identity provider's admin API: the tenant registry and staff administration.
    identity: IdentityAdmin
    # Where letter PDFs are kept (encrypted).
    letters: LetterStore
    # Intake's rows of a centre being offboarded, for its archive (tenancy/intake_archive.py).
    intake_archive: IntakeArchive

    @cached_property
    def notification_cursors(self) -> CursorCodec:
        """Signs the cursors of the notification pages. Made on first use: the key is read
        (or, in the embedded mode, created) only when someone pages their notifications."""
        return CursorCodec(load_cursor_key(self.settings))


def runtime(request: Request) -> CasesRuntime:
    return typed_runtime(request, CasesRuntime)
