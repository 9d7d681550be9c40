"""Where attachment bytes live: outside the database, content-addressed by sha256, so the same
file attached twice is stored once and a blob can be checked against its name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class AttachmentStore(Protocol):
    def put(self, data: bytes) -> tuple[str, bool]:
        """Store `data`; (sha256, True if it was not stored before)."""

    def get(self, sha256: str) -> bytes: ...

    def delete(self, sha256: str) -> None: ...


class FilesystemStore:
    """`<root>/ab/cd/<sha256>`; written to a temporary file and renamed, so a reader never sees
    a half-written blob."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a sha256")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> tuple[str, bool]:
        digest = hashlib.sha256(data).hexdigest()
        path = self._path(digest)
        if path.exists():
            return digest, False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest, True

    def get(self, sha256: str) -> bytes:
        return self._path(sha256).read_bytes()

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)
