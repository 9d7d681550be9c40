"""Cases' master key settings: it wraps each tenant's letter key (letters/models.py,
CasesTenantKey); the envelope encryption itself is the kernel's (alac_kernel.crypto)."""

from __future__ import annotations

from collections.abc import Mapping

from alac_kernel import crypto
from alac_kernel.crypto import MasterKeys
from alac_kernel.settings import Settings

MASTER_ENV = "ALAC_CASES_MASTER_KEY"
PREVIOUS_ENV = "ALAC_CASES_PREVIOUS_MASTER_KEYS"
KEY_FILE = "cases-master.key"


def load_master_keys(settings: Settings, environ: Mapping[str, str] | None = None) -> MasterKeys:
    """From ALAC_CASES_MASTER_KEY; in the embedded profile, generated once into the data folder
    (mode 0600); the production profile must be given one (a key generated in a container is
    lost with it, and every letter with it)."""
    return crypto.load_master_keys(
        settings, env_name=MASTER_ENV, previous_env=PREVIOUS_ENV, file_name=KEY_FILE,
        environ=environ,
    )  # fmt: skip
