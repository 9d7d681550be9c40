"""The complaint as the API receives and returns it. Unknown fields are refused, so a typo
in a field name is an error the volunteer sees, not data silently dropped."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from alac_intake import reference


def _one_of(allowed: frozenset[str], what: str):  # type: ignore[no-untyped-def]
    def check(value: str | None) -> str | None:
        if value is not None and value not in allowed:
            raise ValueError(
                f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}"
            )
        return value

    return AfterValidator(check)


Channel = Annotated[str, _one_of(reference.CHANNELS, "channel")]
RequestType = Annotated[str | None, _one_of(reference.REQUEST_TYPES, "request type")]
Area = Annotated[str | None, _one_of(reference.AREAS, "area")]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]


class ComplainantProfile(BaseModel):
    """The coarse profile statistics need. No personal data here."""

    model_config = ConfigDict(extra="forbid")

    type: Annotated[str | None, _one_of(reference.COMPLAINANT_TYPES, "complainant type")] = None
    sex: Annotated[str | None, _one_of(reference.SEXES, "sex")] = None
    age_band: Code | None = None
    education: Annotated[str | None, _one_of(reference.EDUCATION, "education level")] = None
    residence: Annotated[str | None, _one_of(reference.RESIDENCE, "residence type")] = None
    region: Code | None = None


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    channel: Channel = Field(description="How the complaint reached the centre.")
    crux: str = Field(
        min_length=1, max_length=20000, description="The complaint in the complainant's words."
    )
    help_requested: str | None = Field(default=None, max_length=20000)
    request_type: RequestType = Field(default=None, description="information_request or case.")
    area: Area = None
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

    @field_validator("received_at")
    @classmethod
    def _aware_and_not_future(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("must include a timezone offset, e.g. 2026-11-22T10:00:00+05:00")
        if value.astimezone(UTC) > datetime.now(UTC):
            raise ValueError("must not be in the future")
        return value.astimezone(UTC)


class ComplaintAccepted(BaseModel):
    id: str
    status: str
    office: str
    received_at: datetime
    receipt_code: str | None = Field(
        default=None,
        description="Given once, for anonymous complaints: the only way to follow the complaint up.",
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
    version: int
