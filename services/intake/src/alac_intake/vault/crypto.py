"""Intake's master key settings for the personal-data vault; the envelope encryption itself
(AES-GCM, wrapped data keys) is the kernel's (alac_kernel.crypto), shared with cases.

A master key (from settings) wraps one data key per tenant and version; data keys encrypt the
contact records and attachment files. Rotating a data key re-encrypts rows in small batches
while old versions stay readable; rotating the master key only re-wraps the small data keys.
"""

from __future__ import annotations

from collections.abc import Mapping

from alac_kernel import crypto
from alac_kernel.crypto import MasterKeys, b64, key_id, open_sealed, seal, unb64
from alac_kernel.settings import Settings

__all__ = ["MasterKeys", "b64", "key_id", "load_master_keys", "open_sealed", "seal", "unb64"]

MASTER_ENV = "ALAC_INTAKE_MASTER_KEY"
PREVIOUS_ENV = "ALAC_INTAKE_PREVIOUS_MASTER_KEYS"
KEY_FILE = "intake-master.key"


def load_master_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> MasterKeys:
    """From ALAC_INTAKE_MASTER_KEY; in the embedded profile, generated once into the data folder
    (mode 0600). The production profile must be given one: a generated key on a server would be
    lost with the container, and with it every complainant's contact."""
    return crypto.load_master_keys(
        settings, env_name=MASTER_ENV, previous_env=PREVIOUS_ENV, file_name=KEY_FILE,
        environ=environ,
    )  # fmt: skip
