"""Operator commands: serve, migrate, accounts, plans, domains, tokens, members, purge, keys. Every command
accepts --json.

A command's module is imported only when that command runs or prints its help: `scimkeeper --help` lists the
commands from their summaries here, without loading SQLAlchemy, Starlette or argon2 (tests/unit/test_cli_startup.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import click


def _accounts() -> Sequence[click.Command]:
    from scimkeeper.cli import accounts  # noqa: PLC0415 - imported when one of its commands runs

    return accounts.account, accounts.admin, accounts.token, accounts.audit_log


def _app_keys() -> Sequence[click.Command]:
    from scimkeeper.cli import app_keys  # noqa: PLC0415 - imported when one of its commands runs

    return (app_keys.app_key,)


def _domains() -> Sequence[click.Command]:
    from scimkeeper.cli import domains  # noqa: PLC0415 - imported when one of its commands runs

    return (domains.domain,)


def _members() -> Sequence[click.Command]:
    from scimkeeper.cli import members  # noqa: PLC0415 - imported when one of its commands runs

    return members.member, members.purge_command


def _serve() -> Sequence[click.Command]:
    from scimkeeper.cli import serve  # noqa: PLC0415 - imported when one of its commands runs

    return serve.serve, serve.demo, serve.db


@dataclass(frozen=True)
class Lazy:
    """A command known by its summary until it is invoked; `load` imports its module and returns the module's
    commands."""

    summary: str  # the first sentence of the command's docstring (a unit test keeps them equal)
    load: Callable[[], Sequence[click.Command]]


COMMANDS: Mapping[str, Lazy] = {
    "account": Lazy("Accounts (tenants) and their plan.", _accounts),
    "admin": Lazy("Console owners and admins of an account.", _accounts),
    "app-key": Lazy("Keys of the host application for the access API (/api/v1), separate from SCIM tokens.", _app_keys),
    "audit": Lazy("Print the account's audit log, oldest first.", _accounts),
    "db": Lazy("Database schema migrations.", _serve),
    "demo": Lazy("Serve with a ready Enterprise account named Demo and print its SCIM URL and a fresh token.", _serve),
    "domain": Lazy("Authorized email domains: only addresses in them can be provisioned into an account.", _domains),
    "member": Lazy("Account members (SCIM Users).", _members),
    "purge": Lazy(
        "Remove the members whose deprovisioning window has passed (the serve loop does this periodically).", _members
    ),
    "serve": Lazy("Apply pending migrations, then serve the SCIM API.", _serve),
    "token": Lazy("SCIM tokens.", _accounts),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when one of them is invoked, not when the group is."""

    def __init__(self, *args: Any, lazy: Mapping[str, Lazy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(self.lazy)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = self.lazy.get(cmd_name)
        if entry is None:
            return None
        return {command.name: command for command in entry.load()}[cmd_name]

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """List the commands as click would, from stand-ins carrying their summaries: nothing is imported."""
        stand_ins = [click.Command(name, help=entry.summary) for name, entry in self.lazy.items()]
        click.Group(commands=stand_ins).format_commands(ctx, formatter)


@click.group(cls=LazyGroup, lazy=COMMANDS)
@click.version_option(package_name="scimkeeper")
def main() -> None:
    """scimkeeper: keep account members in sync with your identity provider over SCIM 2.0."""


__all__ = ["COMMANDS", "Lazy", "LazyGroup", "main"]
