"""Analytics' runtime: the kernel's (database, bus, consumers, periodic work) plus its own
settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from alac_kernel.app import typed_runtime
from alac_kernel.runtime import ServiceRuntime


class AnalyticsSettings(BaseSettings):
    """This service's own knobs (ALAC_ANALYTICS_*); the kernel Settings ignores them."""

    model_config = SettingsConfigDict(env_prefix="ALAC_ANALYTICS_", extra="ignore")

    alert_interval_s: float = Field(default=300.0, gt=0)


@dataclass(kw_only=True)
class AnalyticsRuntime(ServiceRuntime):
    options: AnalyticsSettings = field(default_factory=AnalyticsSettings)


def runtime(request: Request) -> AnalyticsRuntime:
    return typed_runtime(request, AnalyticsRuntime)
