"""The operator CLI, run as a real process against the live server's database."""

from __future__ import annotations

import json
import os
import subprocess

from tests.e2e.conftest import CLI, Server


def test_account_create_list_show_as_json(server: Server) -> None:
    """Accounts made by the CLI are listed and shown by id or name."""
    created = server.cli_json("account", "create", "Initech Corp", "--enterprise")
    assert (created["name"], created["plan"]) == ("Initech Corp", "enterprise")
    assert created["id"] in {a["id"] for a in server.cli_json("account", "list")}
    shown = server.cli_json("account", "show", "initech corp")
    assert (shown["id"], shown["scim_token"]) == (created["id"], None)


def test_token_is_printed_once_and_only_its_last_four_characters_are_shown_later(server: Server) -> None:
    """`token generate` prints the token; `account show` never does."""
    created = server.cli_json("account", "create", "Umbrella", "--enterprise")
    generated = server.cli_json("token", "generate", created["id"])
    assert generated["token"].startswith("skp_")
    assert generated["scim_base_url"] == server.env.get("SCIMKEEPER_PUBLIC_BASE_URL", server.scim_url)
    shown = server.cli("account", "show", "Umbrella").stdout
    assert generated["token"] not in shown
    assert generated["token"][-4:] in shown
    assert server.client(generated["token"]).get("/Users").status_code == 200


def test_plan_command_moves_an_account_between_plans(server: Server) -> None:
    """`account plan` changes the plan and a standard account cannot get a token."""
    created = server.cli_json("account", "create", "Hooli")
    assert created["plan"] == "standard"
    refused = server.cli("token", "generate", "Hooli", check=False)
    assert refused.returncode == 1
    assert "Enterprise plan" in refused.stderr
    assert server.cli_json("account", "plan", "Hooli", "enterprise")["plan"] == "enterprise"
    assert server.cli_json("token", "generate", "Hooli")["token"].startswith("skp_")


def test_unknown_account_is_a_clear_error(server: Server) -> None:
    """Naming an account that does not exist exits 1 with a sentence, not a traceback."""
    result = server.cli("account", "show", "no-such-account", check=False)
    assert result.returncode == 1
    assert "no account has the id or name 'no-such-account'" in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_lists_the_accounts_changes(server: Server) -> None:
    """`audit` shows account creation, token generation and SCIM changes in order."""
    created = server.cli_json("account", "create", "Vandelay", "--enterprise")
    server.cli("domain", "authorize", "Vandelay", "v.com")
    token = server.cli_json("token", "generate", "Vandelay")["token"]
    user = server.client(token, **{"User-Agent": "Okta SCIM Client"}).post("/Users", json={"userName": "art@v.com"})
    actions = [(e["action"], e["actor_type"]) for e in server.cli_json("audit", created["id"])]
    assert actions == [
        ("account.created", "operator"),
        ("domain.authorized", "operator"),
        ("token.generated", "operator"),
        ("member.provisioned", "scim_token"),
    ]
    last = server.cli_json("audit", created["id"])[-1]
    assert (last["target_id"], last["actor_agent"]) == (user.json()["id"], "Okta SCIM Client")


def test_db_current_reports_the_head_revision(server: Server) -> None:
    """The server migrated the database to this release's head at start."""
    current = server.cli_json("db", "current")
    assert current["revision"] == current["head"]


def test_invalid_settings_fail_with_one_message_listing_every_problem(server: Server) -> None:
    """All invalid settings are reported together, before anything starts."""
    env = {
        **os.environ,
        "SCIMKEEPER_DATABASE_URL": "mysql://nope",
        "SCIMKEEPER_PORT": "eighty",
        "SCIMKEEPER_LOG_LEVEL": "LOUD",
        "SCIMKEEPER_PUBLIC_BASE_URL": "ftp://x",
    }
    result = subprocess.run([*CLI, "serve"], env=env, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode != 0
    for name in ("DATABASE_URL", "PORT", "LOG_LEVEL", "PUBLIC_BASE_URL"):
        assert f"SCIMKEEPER_{name}" in result.stderr
    assert "Traceback" not in result.stderr


def test_json_output_is_parseable_for_every_listing_command(server: Server) -> None:
    """--json gives machine-readable output."""
    for args in (("account", "list"), ("db", "current")):
        json.loads(server.cli(*args, "--json").stdout)
