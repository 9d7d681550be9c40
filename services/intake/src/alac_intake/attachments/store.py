"""Where attachment bytes live: outside the database, one encrypted blob per attachment, named
by the attachment's id (blobs stored before encryption are named by their sha256)."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

_NAME = re.compile(r"^[0-9a-f][0-9a-f-]{7,63}$")


class AttachmentStore(Protocol):
    def put(self, name: str, data: bytes) -> None: ...

    def get(self, name: str) -> bytes:
        """Raises FileNotFoundError for a blob that is not (or no longer) stored."""

    def delete(self, name: str) -> None: ...

    def exists(self, name: str) -> bool: ...


class FilesystemStore:
    """`<root>/ab/cd/<name>`; written to a temporary file and renamed, so a reader never sees
    a half-written blob."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, name: str) -> Path:
        # Names come from the database (ids, digests), never from a request; the check keeps a
        # bad row from ever naming a path outside the store.
        if not _NAME.match(name):
            raise ValueError("not a blob name")
        return self.root / name[:2] / name[2:4] / name

    def put(self, name: str, data: bytes) -> None:
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, name: str) -> bytes:
        return self._path(name).read_bytes()

    def delete(self, name: str) -> None:
        self._path(name).unlink(missing_ok=True)

    def exists(self, name: str) -> bool:
        return self._path(name).exists()
