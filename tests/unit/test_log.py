"""Log lines: structured fields, and no credential, secret or e-mail address ever written."""

from __future__ import annotations

import json
import logging
import sys

import pytest

from scimkeeper import log

TOKEN = "skp_2F0i9NCbpYQb5rlOO0tWsCq6oYYCvWwrvB_Qw061OUw"
APP_KEY = "ska_Qw061OUw2F0i9NCbpYQb5rlOO0tWsCq6oYYCvWwrvB_"


def record(message: str, *args: object, exc: bool = False, **fields: object) -> logging.LogRecord:
    made = logging.makeLogRecord(
        {"name": "scimkeeper.test", "levelname": "INFO", "levelno": 20, "msg": message, "args": args, **fields}
    )
    if exc:
        try:
            fail()
        except ValueError:
            made.exc_info = sys.exc_info()
    return made


def fail() -> None:
    raise ValueError(f"cannot store ada@acme.com with {TOKEN}")


def test_json_line_carries_the_structured_fields() -> None:
    """One JSON object: time, level, logger, event and every `extra` field."""
    line = log.JsonFormatter().format(record("request", route="/scim/v2/Users/{id}", status=200))
    entry = json.loads(line)
    assert (entry["level"], entry["logger"], entry["event"]) == ("info", "scimkeeper.test", "request")
    assert (entry["route"], entry["status"]) == ("/scim/v2/Users/{id}", 200)


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"Authorization: Bearer {TOKEN}", TOKEN),
        ("authorization: bearer not-even-a-token", "not-even-a-token"),
        (f"leaked {APP_KEY} here", APP_KEY),
        ("user ada.lovelace+x@Acme.co.uk signed in", "ada.lovelace+x@Acme.co.uk"),
        ("user bücher@bücher.example", "bücher@bücher.example"),
        ('{"password": "Secret-1"}', "Secret-1"),
        ("password=hunter2 and more", "hunter2"),
    ],
)
def test_scrub_removes_secrets_and_addresses(text: str, secret: str) -> None:
    """Credentials, scimkeeper secrets, e-mail addresses and password values are replaced."""
    assert secret not in log.scrub(text)


def test_scrub_keeps_ordinary_text() -> None:
    """Route templates, filter shapes and ids pass unchanged."""
    text = "GET /scim/v2/Users/{id} filter=userName eq ? and emails[type eq ?] account=8f0e-11"
    assert log.scrub(text) == text


def test_scrubbed_json_stays_valid() -> None:
    """Scrubbing never eats a JSON escape, so the line still parses."""
    line = log.JsonFormatter().format(record('agent said "Bearer x\\"y" to ada@acme.com', note='a "quoted" Bearer z'))
    entry = json.loads(line)
    assert "ada@acme.com" not in line
    assert entry["event"].startswith('agent said "Bearer [redacted]')


def test_tracebacks_are_scrubbed_too() -> None:
    """An exception's message may quote a request: it is scrubbed in both formats."""
    for formatter in (log.JsonFormatter(), log.ConsoleFormatter()):
        line = formatter.format(record("unhandled error", exc=True))
        assert "ValueError" in line
        assert TOKEN not in line
        assert "ada@acme.com" not in line


def test_console_line_is_readable() -> None:
    """Level, logger, event, then key=value fields."""
    line = log.ConsoleFormatter().format(record("purge", purged=3, batches=1))
    assert line == "INFO    scimkeeper.test: purge purged=3 batches=1"


def test_alembic_schema_checks_are_quiet_but_migrations_are_not() -> None:
    """Each /readyz looks up the revision; Alembic's two lines about it are dropped, "Running upgrade" stays."""
    chatter = logging.makeLogRecord({"name": "alembic.runtime.migration", "msg": "Context impl PostgresqlImpl."})
    upgrade = logging.makeLogRecord({"name": "alembic.runtime.migration", "msg": "Running upgrade  -> 0001"})
    assert not log.alembic_chatter(chatter)
    assert log.alembic_chatter(upgrade)


def test_configure_writes_json_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    """After configure, scimkeeper's loggers write scrubbed JSON lines to stderr."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    try:
        log.configure("INFO", "json")
        logging.getLogger("scimkeeper.test").info("hello", extra={"user": "ada@acme.com"})
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert (entry["event"], entry["user"]) == ("hello", "[email]")
