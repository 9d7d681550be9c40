"""The complaint as the API receives and returns it. Unknown fields are refused, so a typo
in a field name is an error the volunteer sees, not data silently dropped.

Code fields are checked here only for their shape; whether a code exists (and is still valid)
is checked against the reference tables in `record.check_codes`, since lists are data."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

from alac_kernel.problems import register_reasons

# Intake's own error types, in the caller's language (the kernel picks by Accept-Language).
register_reasons(
    {
        "datetime_offset_required": {
            "en": "must include a timezone offset, e.g. 2026-11-22T10:00:00+05:00",
            "ru": "укажите смещение часового пояса, например 2026-11-22T10:00:00+05:00",
            "kk": "уақыт белдеуінің ығысуын көрсетіңіз, мысалы 2026-11-22T10:00:00+05:00",
        },
        "blank_text": {
            "en": "must contain text",
            "ru": "должно содержать текст",
            "kk": "мәтін болуы керек",
        },
        "nul_character": {
            "en": "must not contain NUL (\\u0000) characters",
            "ru": "не должно содержать символы NUL (\\u0000)",
            "kk": "NUL (\\u0000) таңбалары болмауы керек",
        },
        "datetime_out_of_range": {
            "en": "must be after 1900-01-01",
            "ru": "должно быть позже 1900-01-01",
            "kk": "1900-01-01 күнінен кейін болуы керек",
        },
        "datetime_in_future": {
            "en": "must not be in the future",
            "ru": "не может быть в будущем",
            "kk": "болашақта болмауы керек",
        },
    }
)


def storable(value: str | None) -> str | None:
    # PostgreSQL text cannot hold NUL: without this check a "\x00" in free text passed
    # validation and failed at COMMIT with a 500 (found by probing on PostgreSQL).
    if value is not None and "\x00" in value:
        raise PydanticCustomError("nul_character", "must not contain NUL (\\u0000) characters")
    return value


EARLIEST_RECEIVED_AT = datetime(1900, 1, 1, tzinfo=UTC)
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
# For free text stored in plain columns (personal data is encrypted, so may hold anything).
# Placed after the Field so the length rules keep their string messages.
NoNul = AfterValidator(storable)
Text = Annotated[str, Field(min_length=1, max_length=20000), NoNul]
Short = Annotated[str, Field(min_length=1, max_length=300)]


def visible_text(value: str | None) -> str | None:
    # Found by the property tests: only control characters (e.g. "\x1f") passed min_length.
    if value is not None and not any(c.isprintable() and not c.isspace() for c in value):
        raise PydanticCustomError("blank_text", "must contain text")
    return value


class ContactDetails(BaseModel):
    """Personal data: stored only in intake's vault, encrypted; never in events or lists."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Short | None = None
    phone: Annotated[str, Field(pattern=r"^\+?[0-9 ()\-]{5,25}$")] | None = None
    email: Annotated[str, Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = (
        None
    )
    address: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    identity_document: Annotated[str, Field(min_length=1, max_length=100)] | None = None

    def is_empty(self) -> bool:
        return not any(self.model_dump().values())


class ComplainantProfile(BaseModel):
    """The coarse profile statistics need. No personal data here."""

    model_config = ConfigDict(extra="forbid")

    type: Code | None = None
    sex: Code | None = None
    age_band: Code | None = None
    education: Code | None = None
    residence: Code | None = None
    region: Code | None = None
    city: Code | None = None


class Consent(BaseModel):
    """Consent flags of DOMAIN.md as first stated at intake (cases records the binding ones)."""

    model_config = ConfigDict(extra="forbid")

    formal_action: StrictBool | None = None
    documents_to_authorities: StrictBool | None = None
    media: StrictBool | None = None


class RecordFields(BaseModel):
    """Fields of the full record that may be given at once or completed later."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    help_requested: Annotated[str, Field(max_length=20000), NoNul] | None = None
    request_type: Code | None = Field(default=None, description="information_request or case.")
    area: Code | None = None
    sub_area: Code | None = Field(default=None, description="A sub-area of `area`.")
    authority_level: Code | None = None
    respondent_body_type: Code | None = None
    corruption_related: Code | None = Field(default=None, description="yes, no or indirect.")
    non_corruption_reason: Code | None = None
    heard_from: Code | None = None
    prior_legal_help: Code | None = None
    prior_legal_help_quality: Annotated[str, Field(max_length=2000), NoNul] | None = None
    procedural_stage: Code | None = None
    years_pending: Annotated[int, Field(ge=0, le=100, strict=True)] | None = None
    appeal_deadline: date | None = Field(default=None, description="e.g. the appeal deadline.")
    preferred_language: Code | None = None
    safe_to_contact: StrictBool | None = None
    documents_requested: Annotated[list[Code], Field(max_length=30)] | None = None
    documents_received: Annotated[list[Code], Field(max_length=30)] | None = None
    consent: Consent | None = None


class ComplaintCreate(RecordFields):
    channel: Code = Field(description="How the complaint reached the centre.")
    crux: Text = Field(description="The complaint in the complainant's words.")
    # Strict: lax mode would read "yes", "on", 1 as true, and a typo must not make a
    # complainant anonymous (or not) by accident.
    anonymous: bool = Field(
        default=False, strict=True, description="The complainant asked to stay anonymous."
    )
    office: Code | None = Field(
        default=None, description="Receiving office; defaults to the caller's office."
    )
    received_at: datetime | None = Field(
        default=None, description="When the centre received it; defaults to now."
    )
    complainant: ComplainantProfile = Field(default_factory=ComplainantProfile)
    contact: ContactDetails | None = Field(
        default=None, description="Personal data; refused on anonymous complaints."
    )

    _crux_has_text = field_validator("crux")(lambda cls, v: visible_text(v))

    @field_validator("received_at")
    @classmethod
    def _aware_and_not_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise PydanticCustomError(
                "datetime_offset_required",
                "must include a timezone offset, e.g. 2026-11-22T10:00:00+05:00",
            )
        try:
            utc = value.astimezone(UTC)
        except OverflowError:
            utc = None  # e.g. 0001-01-01T00:00:00+14:00 has no UTC equivalent
        # Year-1 dates used to reach the duplicate search, whose +/- window overflowed: a 500.
        if utc is None or utc < EARLIEST_RECEIVED_AT:
            raise PydanticCustomError("datetime_out_of_range", "must be after 1900-01-01")
        if utc > datetime.now(UTC):
            raise PydanticCustomError("datetime_in_future", "must not be in the future")
        return utc


class ComplaintPatch(RecordFields):
    """Completing or correcting a record; only the fields sent change (null clears)."""

    crux: Text | None = None

    _crux_has_text = field_validator("crux")(lambda cls, v: visible_text(v))
    complainant: ComplainantProfile | None = None
    contact: ContactDetails | None = None


class ComplaintAccepted(BaseModel):
    id: str
    status: str
    office: str
    received_at: datetime
    completeness: float = 0.0
    possible_duplicates: list[str] = Field(default_factory=list)
    receipt_code: str = Field(
        description="Given once, on every channel: the only way for the complainant to follow "
        "the complaint up without an account.",
    )


class ComplaintRead(BaseModel):
    id: str
    office: str
    channel: str
    status: str
    received_at: datetime
    anonymous: bool
    crux: str
    help_requested: str | None
    request_type: str | None
    area: str | None
    sub_area: str | None = None
    authority_level: str | None = None
    respondent_body_type: str | None = None
    corruption_related: str | None = None
    non_corruption_reason: str | None = None
    heard_from: str | None = None
    prior_legal_help: str | None = None
    prior_legal_help_quality: str | None = None
    procedural_stage: str | None = None
    years_pending: int | None = None
    appeal_deadline: date | None = None
    preferred_language: str | None = None
    safe_to_contact: bool | None = None
    documents_requested: list[str] | None = None
    documents_received: list[str] | None = None
    consent: Consent = Field(default_factory=Consent)
    complainant: ComplainantProfile = Field(default_factory=ComplainantProfile)
    referred_from: str | None = Field(
        default=None, description="For a referral: the name of the centre that sent it"
    )
    referral_note: str | None = Field(
        default=None, description="For a referral: the sending centre's note"
    )
    complainant_pseudonym: str
    has_contact: bool = False
    completeness: float
    registered_by: str = Field(
        description="Who recorded it: a staff member's id (their token's `sub`), else the "
        "channel that did (`web-form`, `file-import`, `mail-import`, `referral`) or the "
        "partner system's id"
    )
    registered_by_name: str | None = Field(
        default=None, description="The staff member's name (from cases' staff.* events)"
    )
    registered_by_position: str | None = None
    version: int
