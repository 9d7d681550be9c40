"""What a centre (tenant) is, as the platform admin describes it when onboarding it: the body
of `POST /v1/tenants`, the content of `alac tenants onboard --file centre.yaml`, and the
`tenant` object of the `tenant.onboarded` / `tenant.updated` events. One model, so the API, the
command and every consuming service agree on the shape and on what is valid."""

from __future__ import annotations

import base64
import binascii
import struct
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from alac_kernel.languages import LANGUAGES, Language
from alac_kernel.tenants.regions import REGION_CODES

CODE = r"^[a-z][a-z0-9_-]*$"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
LOGO_MAX_BYTES = 32 * 1024
LOGO_MAX_SIDE = 2000
# Deliberately loose (one @, a dot in the domain): Keycloak checks addresses again.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
TENANT_ID = r"^[a-z][a-z0-9-]{1,30}$"
# Tenant ids the platform itself uses in tokens: never a centre's.
RESERVED_IDS = frozenset({"network", "platform", "master", "admin"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Names(_Strict):
    kk: str = Field(min_length=1, max_length=200)
    ru: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class Office(_Strict):
    code: str = Field(min_length=1, max_length=64, pattern=CODE)
    region: str = Field(description="A code of the regions reference list, e.g. aktobe.")
    names: Names
    accepts_public: bool = Field(
        default=True, description="Takes complaints from the public web form and partners."
    )

    @field_validator("region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        if value not in REGION_CODES:
            raise ValueError(f"unknown region {value!r}: one of {', '.join(sorted(REGION_CODES))}")
        return value


class Letterhead(_Strict):
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    signatory_title: str | None = Field(default=None, max_length=200)
    logo_png: str | None = Field(
        default=None,
        max_length=4 * (LOGO_MAX_BYTES // 3 + 1),
        description="The centre's logo at the top of its letters: a PNG (at most 32 KB, "
        "2000 x 2000 pixels), base64. Kept in the registry, left out of events.",
    )

    @field_validator("logo_png")
    @classmethod
    def _a_png(cls, value: str | None) -> str | None:
        if value is not None:
            logo_dimensions(value)
        return value


def logo_dimensions(encoded: str) -> tuple[int, int]:
    """Width and height of a base64 PNG logo; ValueError says what is wrong with it. The PNG
    signature and header chunk are read here (no image library in the kernel); the PDF
    renderer decodes the image itself."""
    try:
        raw = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64 (the PNG file's bytes, base64-encoded)") from None
    if len(raw) > LOGO_MAX_BYTES:
        raise ValueError(f"larger than {LOGO_MAX_BYTES // 1024} KB")
    if raw[:8] != PNG_SIGNATURE or raw[12:16] != b"IHDR" or len(raw) < 33:
        raise ValueError("not a PNG image")
    width, height = struct.unpack(">II", raw[16:24])
    if not (0 < width <= LOGO_MAX_SIDE and 0 < height <= LOGO_MAX_SIDE):
        raise ValueError(f"{width} x {height} pixels: at most {LOGO_MAX_SIDE} a side")
    return width, height


class AgeBand(_Strict):
    code: str = Field(min_length=1, max_length=64, pattern=CODE)
    label_en: str = Field(min_length=1, max_length=200)
    label_ru: str = Field(min_length=1, max_length=200)
    label_kk: str = Field(min_length=1, max_length=200)


class ReferenceChoices(_Strict):
    age_bands: list[AgeBand] | None = Field(
        default=None, description="The centre's own age bands (default: the platform's)."
    )
    areas: list[str] | None = Field(
        default=None, description="Area codes the centre works on (default: all)."
    )


class DeadlineRules(_Strict):
    response_days: int = Field(default=30, ge=1, le=365)
    warn_days_before: int = Field(default=3, ge=0, le=60)


class FirstAdmin(_Strict):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    email: str = Field(max_length=254, pattern=EMAIL)
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    language: Language = "ru"
    office: str | None = Field(default=None, description="Default: the first office.")


class TenantSpec(_Strict):
    """A centre as onboarded. Everything but the id may change later (tenant.updated)."""

    id: str = Field(pattern=TENANT_ID, description="Short code, e.g. aktobe-legal-aid.")
    names: Names
    offices: list[Office] = Field(min_length=1, max_length=100)
    languages: list[Language] = Field(default_factory=lambda: list(LANGUAGES), min_length=1)
    letterhead: Letterhead = Field(default_factory=Letterhead)
    reference: ReferenceChoices = Field(default_factory=ReferenceChoices)
    retention_years: int = Field(default=5, ge=1, le=75)
    suppression_threshold: int = Field(default=5, ge=2, le=100)
    deadlines: DeadlineRules = Field(default_factory=DeadlineRules)
    # Quiet hours, digests and dates shown to staff follow the centre's clock.
    time_zone: str = Field(
        default="Asia/Almaty", max_length=64, description="IANA time zone, e.g. Asia/Almaty."
    )
    admin: FirstAdmin

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in RESERVED_IDS:
            raise ValueError(f"{value!r} is reserved by the platform")
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, e.g. Asia/Almaty") from None
        return value

    @field_validator("offices")
    @classmethod
    def _unique_offices(cls, offices: list[Office]) -> list[Office]:
        seen: set[str] = set()
        for office in offices:
            if office.code in seen:
                raise ValueError(f"office {office.code!r} appears twice")
            seen.add(office.code)
        return offices

    @model_validator(mode="after")
    def _admin_in_an_office(self) -> TenantSpec:
        codes = [o.code for o in self.offices]
        if self.admin.office is not None and self.admin.office not in codes:
            raise PydanticCustomError(
                "unknown_office", "admin.office {office!r} is not one of the offices {codes}",
                {"office": self.admin.office, "codes": codes},
            )  # fmt: skip
        return self

    def public(self) -> dict[str, Any]:
        """The spec without the first admin's personal data: what the registry keeps."""
        return self.model_dump(mode="json", exclude={"admin"})


def announced(spec: dict[str, Any]) -> dict[str, Any]:
    """A registry entry as events carry it: without the logo (up to 32 KB that only the
    letters of the cases service, which holds the registry, print)."""
    letterhead = {k: v for k, v in (spec.get("letterhead") or {}).items() if k != "logo_png"}
    return {**spec, "letterhead": letterhead} if "letterhead" in spec else spec


class TenantChange(_Strict):
    """A change to a registered centre (`PATCH /v1/tenants/{id}`, `alac tenants update`): each
    field given replaces the registry's value whole (an object or list is given whole); fields
    left out keep theirs. The id never changes and the first admin is not part of it (staff
    administration changes people). The result is checked as a whole TenantSpec
    (`apply_change`), so every rule of onboarding holds after an update too."""

    id: str | None = Field(default=None, description="When given, must be the centre's id.")
    names: Names | None = None
    offices: list[Office] | None = Field(default=None, min_length=1, max_length=100)
    languages: list[Language] | None = Field(default=None, min_length=1)
    letterhead: Letterhead | None = None
    reference: ReferenceChoices | None = None
    retention_years: int | None = Field(default=None, ge=1, le=75)
    suppression_threshold: int | None = Field(default=None, ge=2, le=100)
    deadlines: DeadlineRules | None = None
    time_zone: str | None = Field(default=None, max_length=64)


def apply_change(
    current: dict[str, Any], admin: dict[str, Any], change: TenantChange, prefix: str = "body"
) -> TenantSpec:
    """`current` (a registry entry, TenantSpec.public()) with `change` applied, validated as a
    whole centre; SpecError names the field of the change that breaks a rule. The admin's
    office is left out of the check: an office may close after its first admin moved on."""
    given = change.model_dump(mode="json", exclude_unset=True)
    given.pop("id", None)
    merged = {**current, **given, "admin": {**admin, "office": None}}
    return parse_spec(merged, prefix=prefix)


class SpecError(ValueError):
    """A centre file or body that is not a valid centre: `errors` name the fields."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{e['field']}: {e['reason']}" for e in errors))
        self.errors = errors


def field_errors(exc: ValidationError, prefix: str = "body") -> list[dict[str, str]]:
    out = []
    for err in exc.errors():
        path = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        reason = err["msg"].removeprefix("Value error, ")
        out.append({"field": path, "reason": reason})
    return out


def parse_spec(data: Any, prefix: str = "body") -> TenantSpec:
    try:
        return TenantSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(field_errors(exc, prefix)) from None


def load_spec_file(path: Path) -> TenantSpec:
    """A centre file (YAML or JSON); SpecError names the field, or the file itself when it is
    not a YAML mapping at all."""
    return parse_spec(read_centre_file(path), prefix="")


def read_centre_file(path: Path) -> dict[str, Any]:
    """A centre file's mapping, unchecked; SpecError names the file when it is not a readable
    YAML mapping."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SpecError(
            [{"field": str(path), "reason": f"not a readable YAML file: {exc}"}]
        ) from None
    if not isinstance(data, dict):
        raise SpecError(
            [{"field": str(path), "reason": "must be a mapping of the centre's fields"}]
        )
    return data
