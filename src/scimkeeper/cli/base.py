"""Shared parts of the operator commands: settings, transactions, output."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
import orjson
from sqlalchemy import Connection

from scimkeeper.config import ConfigError, Settings
from scimkeeper.domain.errors import DomainError
from scimkeeper.storage import db as storage_db
from scimkeeper.storage.accounts import Account
from scimkeeper.storage.db import Database

T = TypeVar("T")
DEMO_ACCOUNT = "Demo"
DEMO_DOMAIN = "example.com"


class Context:
    """What every command needs: the settings (read lazily, so --help works with a broken environment)."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    def settings(self, **overrides: Any) -> Settings:
        if self._settings is None or overrides:
            try:
                self._settings = Settings.from_env(os.environ, **overrides)
            except ConfigError as exc:
                raise click.ClickException(str(exc)) from None
        return self._settings

    def database(self) -> Database:
        return open_database(self.settings())

    @contextmanager
    def write(self) -> Iterator[Connection]:
        db = self.database()
        try:
            with db.write() as conn:
                yield conn
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            db.dispose()

    def transact(self, operation: Callable[[Connection], T]) -> T:
        with self.write() as conn:
            return operation(conn)


pass_context = click.make_pass_decorator(Context, ensure=True)
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def open_database(settings: Settings) -> Database:
    return storage_db.open_database(settings)


def now() -> datetime:
    return datetime.now(UTC)


def jsonable(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value, default=str))


def emit(as_json: bool, data: Any, text: str) -> None:
    click.echo(orjson.dumps(jsonable(data), option=orjson.OPT_INDENT_2).decode() if as_json else text)


def account_text(account: Account) -> str:
    return f"{account.id}  {account.name}  plan={account.plan}  created={account.created_at.isoformat()}"
