"""Where letter PDFs are kept. A small interface so an object store can replace the
filesystem default (`<data_dir>/cases-letters/<tenant>/<letter id>.pdf`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol

from alac_kernel.settings import Settings


def letter_store_for(settings: Settings) -> FileLetterStore:
    return FileLetterStore(Path(settings.data_dir) / "cases-letters")


class LetterStore(Protocol):
    def put(self, *, tenant: str, letter_id: str, data: bytes) -> None: ...

    def get(self, *, tenant: str, letter_id: str) -> bytes | None: ...

    def delete(self, *, tenant: str, letter_id: str) -> None: ...


class FileLetterStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, tenant: str, letter_id: str) -> Path:
        # ids are uuids generated here and tenants come from verified tokens; the check keeps
        # a malformed value from ever reaching the filesystem as a path.
        for part in (tenant, letter_id):
            if not part or "/" in part or "\\" in part or part.startswith("."):
                raise ValueError(f"unsafe path part {part!r}")
        return self.root / tenant / f"{letter_id}.pdf"

    def put(self, *, tenant: str, letter_id: str, data: bytes) -> None:
        path = self._path(tenant, letter_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)  # never a half-written letter under its final name

    def get(self, *, tenant: str, letter_id: str) -> bytes | None:
        path = self._path(tenant, letter_id)
        return path.read_bytes() if path.exists() else None

    def delete(self, *, tenant: str, letter_id: str) -> None:
        self._path(tenant, letter_id).unlink(missing_ok=True)
