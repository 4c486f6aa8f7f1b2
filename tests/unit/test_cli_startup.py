"""The CLI's root imports no command module: `scimkeeper --help` and `--version` stay fast."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

from scimkeeper.cli import COMMANDS, main

HEAVY = ("sqlalchemy", "starlette", "uvicorn", "argon2", "jinja2", "prometheus_client", "alembic", "psycopg")

# Runs the entry point as the `scimkeeper` script does, then reports which heavy packages it left in sys.modules.
PROBE = f"""
import json, sys
from scimkeeper.cli import main
try:
    main(prog_name="scimkeeper")
finally:
    heavy = {{name.partition(".")[0] for name in sys.modules}} & set({HEAVY!r})
    print("heavy packages:", json.dumps(sorted(heavy)), file=sys.stderr)
"""


@pytest.mark.parametrize("option", ["--help", "--version"])
def test_root_options_import_no_heavy_package(option: str) -> None:
    """`scimkeeper --help` and `--version` load neither the database, the web stack nor the password hasher."""
    # A fresh interpreter, because this test process has imported all of them already and sys.modules cannot be
    # rolled back; checking what was imported is deterministic where timing the command would be flaky.
    result = subprocess.run([sys.executable, "-c", PROBE, option], capture_output=True, text=True, check=True)
    reports = [line for line in result.stderr.splitlines() if line.startswith("heavy packages:")]
    assert [json.loads(line.removeprefix("heavy packages:")) for line in reports] == [[]]
    assert "scimkeeper" in result.stdout


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_listed_summary_is_the_first_sentence_of_the_commands_help(name: str) -> None:
    """The summary shown by `scimkeeper --help` without importing a command is the one the command itself gives."""
    command = main.get_command(click.Context(main), name)
    assert command is not None
    assert command.name == name
    assert command.get_short_help_str(limit=1000) == COMMANDS[name].summary


def test_unknown_command_is_not_found() -> None:
    """A name outside the table is no command, as in a plain click group."""
    assert main.get_command(click.Context(main), "nope") is None
