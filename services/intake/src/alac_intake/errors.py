"""Intake's refusals beyond the kernel's (alac_kernel.errors): what only files and the text key
service say (an erased attachment or text key is the kernel's Gone). Raised like the kernel's
domain errors; the app factory answers them as problem+json with their status."""

from __future__ import annotations

from alac_kernel.errors import DomainError


class TooLarge(DomainError):
    """A file over the size limit."""

    status = 413
    default_title = "Content too large"


class UnsupportedType(DomainError):
    """A file of a type not allowed, or not the type it claims to be."""

    status = 415
    default_title = "Unsupported media type"


class GrantRequired(DomainError):
    """A consumer asked the text key service without a valid grant."""

    status = 401
    default_title = "Unauthorized"
