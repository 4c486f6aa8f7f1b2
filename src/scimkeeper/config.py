"""Settings: read once from the environment in an entry point, validated as a whole, then passed down."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

PREFIX = "SCIMKEEPER_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "console")


class ConfigError(Exception):
    """Every problem found in the settings, reported together."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid settings:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Deployment settings. `SCIMKEEPER_<FIELD>` in upper case sets each field."""

    database_url: str = "sqlite:///scimkeeper.db"
    host: str = "127.0.0.1"
    port: int = 8000
    public_base_url: str = ""  # empty: http://{host}:{port}
    log_level: str = "INFO"
    log_format: str = "json"
    max_body_bytes: int = 1_048_576
    default_page_size: int = 100
    max_page_size: int = 1000
    cursor_timeout_seconds: int = 3600
    deprovision_window_days: int = 30
    purge_interval_seconds: int = 300  # 0: no purge loop in this process (run `scimkeeper purge` instead)
    purge_batch_size: int = 500
    console_session_hours: int = 8
    rate_limit_per_second: float = 1000.0  # per SCIM token and process; 0 turns the limit off
    rate_limit_burst: int = 1000
    db_pool_size: int = 10
    db_pool_timeout: float = 10.0
    db_connect_timeout: float = 5.0  # PostgreSQL: an unreachable server fails a request (and /readyz) this fast
    sqlite_busy_timeout_ms: int = 5000
    workers: int = 1  # serving processes of one `scimkeeper serve`
    shutdown_timeout_seconds: int = 30  # on SIGTERM, how long in-flight requests may take to finish
    metrics_token: str = dataclasses.field(default="", repr=False)  # empty: /metrics is open
    metrics_account_labels: bool = False  # label request and provisioning metrics with the account id

    @property
    def base_url(self) -> str:
        """The public URL of the service, without a trailing slash."""
        return (self.public_base_url or f"http://{self.host}:{self.port}").rstrip("/")

    @property
    def deprovision_window(self) -> timedelta:
        return timedelta(days=self.deprovision_window_days)

    @property
    def scim_base_url(self) -> str:
        return f"{self.base_url}/scim/v2"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Settings from `environ`, then `overrides` (command-line options); ConfigError lists every problem."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):
            name = PREFIX + field.name.upper()
            raw = environ.get(name)
            if raw is None or raw == "":
                continue
            parse = _PARSERS[str(field.type)]
            try:
                values[field.name] = parse(raw)
            except ValueError:
                problems.append(f"{name}={raw!r} is not a valid {_TYPE_WORDS[str(field.type)]}")
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)
        problems.extend(settings._problems())
        if problems:
            raise ConfigError(problems)
        return settings

    def _problems(self) -> list[str]:
        problems = []
        scheme = self.database_url.split(":", 1)[0].split("+", 1)[0]
        if scheme not in ("sqlite", "postgresql"):
            shown = _without_password(self.database_url)
            problems.append(f"{PREFIX}DATABASE_URL must start with sqlite:/// or postgresql://, got {shown!r}")
        if not 0 < self.port < 65536:
            problems.append(f"{PREFIX}PORT must be between 1 and 65535, got {self.port}")
        if self.public_base_url:
            parts = urlsplit(self.public_base_url)
            if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
                problems.append(
                    f"{PREFIX}PUBLIC_BASE_URL must be an absolute http(s) URL such as https://scim.example.com, "
                    f"got {self.public_base_url!r}"
                )
        if self.log_level.upper() not in LOG_LEVELS:
            problems.append(f"{PREFIX}LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        if self.log_format not in LOG_FORMATS:
            problems.append(f"{PREFIX}LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {self.log_format!r}")
        for name, value, low in (
            ("MAX_BODY_BYTES", self.max_body_bytes, 1024),
            ("DEFAULT_PAGE_SIZE", self.default_page_size, 1),
            ("MAX_PAGE_SIZE", self.max_page_size, 1),
            ("CURSOR_TIMEOUT_SECONDS", self.cursor_timeout_seconds, 1),
            ("DEPROVISION_WINDOW_DAYS", self.deprovision_window_days, 1),
            ("PURGE_INTERVAL_SECONDS", self.purge_interval_seconds, 0),
            ("PURGE_BATCH_SIZE", self.purge_batch_size, 1),
            ("CONSOLE_SESSION_HOURS", self.console_session_hours, 1),
            ("RATE_LIMIT_BURST", self.rate_limit_burst, 1),
            ("DB_POOL_SIZE", self.db_pool_size, 1),
            ("WORKERS", self.workers, 1),
            ("SHUTDOWN_TIMEOUT_SECONDS", self.shutdown_timeout_seconds, 0),
            ("SQLITE_BUSY_TIMEOUT_MS", self.sqlite_busy_timeout_ms, 0),
        ):
            if value < low:
                problems.append(f"{PREFIX}{name} must be at least {low}, got {value}")
        if self.rate_limit_per_second < 0:
            problems.append(
                f"{PREFIX}RATE_LIMIT_PER_SECOND must be 0 (off) or positive, got {self.rate_limit_per_second}"
            )
        if self.default_page_size > self.max_page_size:
            problems.append(
                f"{PREFIX}DEFAULT_PAGE_SIZE ({self.default_page_size}) must not exceed "
                f"{PREFIX}MAX_PAGE_SIZE ({self.max_page_size})"
            )
        for name, seconds in (
            ("DB_POOL_TIMEOUT", self.db_pool_timeout),
            ("DB_CONNECT_TIMEOUT", self.db_connect_timeout),
        ):
            if seconds <= 0:
                problems.append(f"{PREFIX}{name} must be positive, got {seconds}")
        return problems


def _boolean(raw: str) -> bool:
    words = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
    try:
        return words[raw.strip().lower()]
    except KeyError:
        raise ValueError(raw) from None


def _without_password(url: str) -> str:
    """A database URL fit for a message: `user:secret@host` becomes `user:***@host`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


_PARSERS: dict[str, Callable[[str], Any]] = {"str": str, "int": int, "float": float, "bool": _boolean}
_TYPE_WORDS = {"str": "string", "int": "integer", "float": "number", "bool": "boolean (true or false)"}
