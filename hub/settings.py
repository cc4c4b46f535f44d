"""The Hub's one typed settings object, read from the environment (prefix ``HUB_``)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class TrustedIssuer(BaseModel):
    """An external identity provider (an agency's own IdP) whose access tokens the Hub accepts.

    The claim mapping turns the issuer's claims into a Hub principal: the organization claim's value
    is looked up in ``organization_map`` (external value -> Hub organization id), and the roles
    claim is read as a list or a space-separated string.
    """

    issuer: str
    audience: str
    jwks: dict[str, Any] | None = None
    jwks_path: Path | None = None
    algorithms: list[str] = Field(default_factory=lambda: ["ES256", "RS256", "EdDSA"])
    require_at_jwt: bool = True
    organization_claim: str = "org"
    roles_claim: str = "roles"
    organization_map: dict[str, str] = Field(default_factory=dict)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HUB_", env_nested_delimiter="__", extra="ignore")

    # Embedded default: everything lives under one data dir (SQLite + a folder object store + keys).
    data_dir: Path = Path(".hub-data")
    demo: bool = False

    database_url: str | None = None
    s3_endpoint: str | None = None
    s3_access_key: str | None = None
    s3_secret_key: str | None = None
    s3_bucket: str = "hub"
    s3_secure: bool = True
    s3_region: str = "us-east-1"

    issuer: str = "http://127.0.0.1:8000"
    audience: str = "urn:cbp-hub:graphql"
    # RFC 9068 tokens for machine clients: short-lived by design (the issue caps them at 15 minutes).
    token_ttl_seconds: int = Field(default=600, ge=60, le=900)
    signing_key_path: Path | None = None
    trusted_issuers: list[TrustedIssuer] = Field(default_factory=list)

    policies_dir: Path | None = None

    cors_origins: list[str] = Field(default_factory=list)
    max_body_bytes: int = 1_000_000
    # Photos and documents come as GraphQL multipart requests, which get their own, larger limit.
    max_upload_bytes: int = 25 * 1024 * 1024
    max_image_bytes: int = 20 * 1024 * 1024
    max_image_pixels: int = 50_000_000
    # Small parcels take the expedited seizure track at or below this declared value (GAO-20-692: $2,500).
    expedited_value_threshold: Decimal = Decimal("2500")
    graphql_max_depth: int = 12
    graphql_max_aliases: int = 30
    page_size_max: int = 100
    organization_cache_seconds: float = Field(default=30.0, ge=0)
    log_level: str = "INFO"

    # Webhooks (hub/events). Plain http and private/loopback destinations are for demo mode and tests:
    # None means "as demo mode says", so production (demo off) gets https-only public URLs by default.
    webhook_allow_http: bool | None = None
    webhook_allow_private_networks: bool | None = None
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_concurrency: int = Field(default=32, ge=1, le=1000)
    webhook_endpoint_concurrency: int = Field(default=4, ge=1, le=100)
    webhook_retry_base_seconds: float = Field(default=5.0, gt=0)
    webhook_retry_cap_seconds: float = Field(default=3600.0, gt=0)
    webhook_retry_window_seconds: float = Field(default=24 * 3600.0, gt=0)
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    worker_poll_seconds: float = Field(default=0.5, gt=0)
    scheduler_interval_seconds: float = Field(default=30.0, gt=0)

    # Forced labor (issue 7). The public WRO list is the one part of the API open without a token (R-FL-01): each
    # client address gets a token bucket of `public_rate_burst` requests refilled at `public_rate_per_minute`.
    public_rate_per_minute: float = Field(default=60.0, gt=0)
    public_rate_burst: int = Field(default=30, ge=1)
    # Public metrics cells with fewer detentions than this are suppressed (R-FL-METRICS-PUBLIC).
    forced_labor_min_cell: int = Field(default=5, ge=1)
    # ... and so are cells of fewer distinct importers than this (with two, either one subtracts its own shipments
    # and reads the other's), or where one importer holds more than this share of the detentions or of the value
    # (dominance rule). See hub/services/forced_labor_metrics.py ``Disclosure``.
    forced_labor_min_importers: int = Field(default=3, ge=3)
    forced_labor_max_importer_share: Decimal = Field(default=Decimal("0.8"), gt=0, le=1)

    @field_validator("issuer")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def webhook_http_allowed(self) -> bool:
        return self.demo if self.webhook_allow_http is None else self.webhook_allow_http

    @property
    def webhook_private_networks_allowed(self) -> bool:
        return self.demo if self.webhook_allow_private_networks is None else self.webhook_allow_private_networks

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hub.sqlite3').resolve()}"

    @property
    def effective_signing_key_path(self) -> Path:
        return self.signing_key_path or self.data_dir / "signing-key.json"

    @property
    def objects_dir(self) -> Path:
        return self.data_dir / "objects"

    @property
    def uses_s3(self) -> bool:
        return self.s3_endpoint is not None
