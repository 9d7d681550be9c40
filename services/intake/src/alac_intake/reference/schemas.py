"""The reference lists as the API answers them, and a tenant's own version of a list."""

from __future__ import annotations

import builtins
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from alac_intake.complaints.schemas import Code, NoNul


class ReferenceItem(BaseModel):
    code: str
    label: str
    parent: str | None
    valid_from: date | None
    valid_to: date | None
    current: bool


class ReferenceList(BaseModel):
    list: str
    lang: str
    # `builtins.`: inside this class `list` is the field above.
    items: builtins.list[ReferenceItem]


Label = Annotated[str, Field(min_length=1, max_length=200), NoNul]


class TenantListItem(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    code: Code
    label_en: Label
    label_ru: Label
    label_kk: Label


class TenantList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[TenantListItem] = Field(min_length=1, max_length=50)

    @model_validator(mode="after")
    def _codes_unique(self) -> TenantList:
        codes = [item.code for item in self.items]
        if len(codes) != len(set(codes)):
            raise ValueError("codes must be unique")
        return self
