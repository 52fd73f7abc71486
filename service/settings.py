"""Configuration, read once from DEALS_* environment variables (or a .env file)."""

from __future__ import annotations

import base64
import os
import re
import warnings
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import unquote, urlparse

from pydantic import AliasChoices, Field, SecretStr, ValidationError, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Settings renamed, old name -> new name: the old names still work, with a deprecation warning (FutureWarning).
RENAMED = {
    "DEALS_LOG_SIGNING_KEY": "DEALS_LEDGER_SIGNING_KEY",
    "DEALS_LOG_ORIGIN": "DEALS_LEDGER_ORIGIN",
    "DEALS_LOG_CHECKPOINT_INTERVAL": "DEALS_LEDGER_CHECKPOINT_INTERVAL",
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DEALS_", env_file=".env", env_ignore_empty=True, extra="ignore",
                                      populate_by_name=True)

    database_url: str = Field(
        "sqlite:///./deals.db",
        description="sqlite:///path/to/file.db (the default, created on first use) or postgresql://user:pass@host:port/db",
    )
    postgres_schema: str = Field(
        "public", pattern=r"^[a-z_][a-z0-9_]*$", description="PostgreSQL schema holding the tables (must exist)."
    )
    snapshot_interval: int = Field(100, ge=1, description="Take a snapshot of a deal every N events.")
    pool_size: int = Field(5, ge=1, description="PostgreSQL connections kept open per pool.")
    pool_max_overflow: int = Field(10, ge=0, description="Extra PostgreSQL connections allowed under load.")
    write_retries: int = Field(5, ge=1, description="Times a write without If-Match is re-run after losing a race.")
    run_background: bool = Field(
        True, description="Run projections and webhook delivery inside `deals serve` (else run `deals worker`)."
    )
    max_events_page: int = Field(1000, ge=1, description="Largest page of events one request may ask for.")
    stream_poll_seconds: float = Field(
        0.05, gt=0, le=5, description="How often live event streams look for new events on SQLite (no NOTIFY there)."
    )
    stream_heartbeat_seconds: float = Field(
        15, gt=0, description="Idle live event streams send a comment line this often, to keep connections open."
    )
    read_wait_timeout: float = Field(
        5.0, gt=0, le=60, description="Seconds a read with min_position waits for the read model before a 503."
    )
    api_keys: str | None = Field(
        None, description="API key entries `<sha256-hex> <scope>[,<scope>…] [label]`, separated by `;` or newlines."
    )
    api_keys_file: Path | None = Field(None, description="A file of API key entries, one per line (`#` comments).")
    max_clock_skew_seconds: float = Field(
        300,
        ge=0,
        le=31_536_000,
        description="How far ahead of the server's clock an occurred_at may be (a client's clock runs a little "
        "fast); later ones are refused, as no event has happened yet. Deadlines may lie anywhere ahead.",
    )
    max_body_bytes: int = Field(1_048_576, ge=1024, description="Largest request body accepted (413 beyond).")
    idempotency_ttl_hours: int = Field(24, ge=24, description="Hours an Idempotency-Key and its response are kept.")
    log_level: Literal["debug", "info", "warning", "error"] = Field("info", description="Level of the logs.")
    log_format: Literal["auto", "json", "text"] = Field(
        "auto", description="auto: human-readable lines on a terminal, JSON lines otherwise; json; text."
    )
    ready_max_projection_lag: int = Field(
        10_000, ge=0, description="Readiness fails when a projection is this many events behind (0: not checked)."
    )
    ready_max_webhook_backlog: int = Field(
        10_000, ge=0, description="Readiness reports the webhook check `behind` when this many deliveries wait; "
        "it never fails readiness (0: not checked)."
    )
    cipher_key: SecretStr | None = Field(
        None, description="Base64 AES key (16, 24 or 32 bytes): encrypts stored events and snapshots (AES-GCM)."
    )
    compress: bool = Field(False, description="Compress stored events and snapshots with zlib (before encrypting).")
    write_mode: Literal["group", "naive"] = Field(
        "group", description="group: the writer thread saves concurrent commands together, deciding them on cached "
        "deals; naive (the benchmarks' baseline): it saves each command alone, decided on the stored deal."
    )
    write_queue_timeout: float = Field(
        10.0, gt=0, description="Seconds a write may wait for the writer before it is withdrawn and answered 503."
    )
    write_batch_max: int = Field(256, ge=1, description="Most commands the writer saves in one transaction.")
    write_cache_size: int = Field(
        10_000, ge=0, description="Deals kept in memory per process, shared by the writer and the followers.")
    gc_tuning: bool = Field(
        False, description="Tune the garbage collector for a long-running server (`deals serve` turns it on)."
    )
    webhook_timeout: float = Field(15.0, gt=0, description="Seconds a receiver has to answer one webhook delivery.")
    webhook_retry_schedule: Annotated[list[float], NoDecode] = Field(
        [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400],
        min_length=1,
        description="Seconds before each webhook attempt (comma-separated); its length is the number of attempts.",
    )
    webhook_jitter: float = Field(0.2, ge=0, lt=1, description="Random spread of each retry delay (0.2: ±20 %).")
    webhook_retry_after_max: float = Field(3600, ge=0, description="Longest `Retry-After` (seconds) a webhook honours.")
    webhook_disable_after: float = Field(
        432_000, gt=0, description="Seconds of continuous failure after which a webhook endpoint is disabled (5 days)."
    )
    webhook_rotation_grace: float = Field(
        86_400, ge=0, le=604_800, description="Seconds the previous webhook secret keeps signing after a rotation."
    )
    webhook_lease: float = Field(
        60, gt=0, description="Seconds a claimed webhook delivery stays reserved to its sender (over the timeout)."
    )
    webhook_concurrency: int = Field(64, ge=1, description="Webhook deliveries one process sends at once.")
    webhook_endpoint_concurrency: int = Field(
        32, ge=1, description="Webhook deliveries one process sends at once to one endpoint (so one stalls no other)."
    )
    webhook_poll_interval: float = Field(
        0.5, gt=0, description="Seconds between looks for due webhook retries when nothing wakes the sender."
    )
    webhook_recover_confirm_above: int = Field(
        1000, ge=0, le=2**31 - 1,
        description="A webhook recover that would queue more deliveries than this needs `confirm: true`.",
    )
    webhook_allow_loopback: bool = Field(False, description="Let webhook URLs reach loopback addresses (tests, local).")
    webhook_allow_private: bool = Field(False, description="Let webhook URLs reach private (RFC 1918, ULA) networks.")

    test_fault: Literal["exit_after_commit"] | None = Field(
        None, description="For tests only: exit_after_commit makes the process exit at once after committing a "
        "write sent with an Idempotency-Key, before its answer is kept (the crash the key must survive)."
    )
    ledger: bool = Field(
        True, description="Keep the tamper-evident log: a Merkle tree over every event, `verify`, proofs and "
        "checkpoints (service/ledger/). `off` keeps none (turning it on later hashes the whole log first)."
    )
    ledger_signing_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("DEALS_LEDGER_SIGNING_KEY", "DEALS_LOG_SIGNING_KEY", "ledger_signing_key"),
        description="Base64 Ed25519 seed that signs the log's checkpoints (`deals keys signing`). Unset on SQLite: "
        "a key is made on first start and kept beside the database (<name>.ledger.key, mode 0600). Unset on "
        "PostgreSQL: the tree is kept and verified, but no checkpoint is signed (the replicas must share a key)."
    )
    ledger_origin: str = Field(
        "deals.local/log", pattern=r"^[^\s+]+$",
        validation_alias=AliasChoices("DEALS_LEDGER_ORIGIN", "DEALS_LOG_ORIGIN", "ledger_origin"),
        description="The log's name: the first line of every checkpoint, and the signing key's name."
    )
    ledger_checkpoint_interval: float = Field(
        1.0, gt=0,
        validation_alias=AliasChoices("DEALS_LEDGER_CHECKPOINT_INTERVAL", "DEALS_LOG_CHECKPOINT_INTERVAL",
                                      "ledger_checkpoint_interval"),
        description="Seconds at least between two checkpoints (one is cut only when the log grew)."
    )

    @model_validator(mode="before")
    @classmethod
    def _renamed(cls, data: Any) -> Any:
        set_names = {name.upper() for name in os.environ}
        for old, new in RENAMED.items():
            if old in set_names:
                # FutureWarning: the deprecation category Python shows to an application's users by default.
                warnings.warn(f"{old} is now called {new}; the old name will stop working in a later release",
                              FutureWarning, stacklevel=2)
        return data

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _schedule(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.replace("[", "").replace("]", "").split(",") if part.strip()]
        return value

    @field_validator("webhook_lease")
    @classmethod
    def _lease_over_timeout(cls, lease: float, info: ValidationInfo) -> float:
        if lease <= info.data.get("webhook_timeout", 0):
            raise ValueError("must be longer than DEALS_WEBHOOK_TIMEOUT, or a slow delivery would be sent twice")
        return lease

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        scheme = urlparse(url).scheme
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise ValueError("must start with sqlite:/// or postgresql://")
        return url

    @field_validator("cipher_key")
    @classmethod
    def _aes_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            try:
                size = len(base64.b64decode(key.get_secret_value(), validate=True))
            except ValueError:
                size = -1
            if size not in (16, 24, 32):
                raise ValueError("must be 16, 24 or 32 random bytes in base64 (make one with `deals keys cipher`)")
        return key

    @property
    def is_postgres(self) -> bool:
        return urlparse(self.database_url).scheme in ("postgresql", "postgres")

    @property
    def sqlite_path(self) -> Path:
        url = self.database_url
        path = url.split(":///", 1)[1] if ":///" in url else url.split("://", 1)[1]
        return Path(path)

    def sqlite_file(self, suffix: str) -> str:
        """A sibling file for one projection: deals.db -> deals.<suffix>.db (SQLite tables are not prefixed)."""
        path = self.sqlite_path
        return str(path.with_name(f"{path.stem}.{suffix}{path.suffix or '.db'}"))

    def postgres_env(self) -> dict[str, str]:
        url = urlparse(self.database_url)
        return {
            "POSTGRES_DBNAME": (url.path or "/postgres").lstrip("/") or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.pool_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": "5",
            "POSTGRES_LOCK_TIMEOUT": "5",
            "POSTGRES_SCHEMA": self.postgres_schema,
        }

    def at_rest_env(self) -> dict[str, str]:
        """How stored events and snapshots are encoded: compressed first, then encrypted (AES-GCM)."""
        env = {}
        if self.compress:
            env["COMPRESSOR_TOPIC"] = "eventsourcing.compressor:ZlibCompressor"
        if self.cipher_key is not None:
            env["CIPHER_TOPIC"] = "eventsourcing.cryptography:AESCipher"
            env["CIPHER_KEY"] = self.cipher_key.get_secret_value()
        return env


class SettingsError(Exception):
    """Bad DEALS_* settings: one line per variable, naming it and saying what is allowed."""


# Values never echoed back in an error message.
_SECRET_FIELDS = frozenset({"cipher_key", "api_keys", "database_url", "ledger_signing_key",
                            "DEALS_LEDGER_SIGNING_KEY"})


def describe_errors(error: ValidationError) -> str:
    """`DEALS_POOL_SIZE='0': must be greater than or equal to 1`, one line per bad setting."""
    lines = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else "?"
        message = problem["msg"].removeprefix("Value error, ")
        message = re.sub(r"^(Input|String) should", "must", message)
        shown = "" if field in _SECRET_FIELDS or "input" not in problem else f"={problem['input']!r}"
        name = field.upper() if field.upper().startswith("DEALS_") else f"DEALS_{field.upper()}"  # an alias is whole
        lines.append(f"{name}{shown}: {message}")
    return "\n".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """DEALS_* settings with `overrides` on top; bad values raise SettingsError saying which and what is allowed."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(describe_errors(error)) from None


@lru_cache
def get_settings() -> Settings:
    """The process's settings (see load_settings)."""
    return load_settings()
