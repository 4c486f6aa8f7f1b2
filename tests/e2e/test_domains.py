"""Enterprise plan and authorized e-mail domains over HTTP and the CLI: the policy holds on every path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from scimkeeper.domain.addresses import AuthorizedDomain, domain_allowed, normalise_domain, parse_email
from scimkeeper.storage.tables import member_emails, members
from tests.documents import PATCH_OP, employee, user
from tests.e2e.conftest import Server, Tenant
from tests.oracle import valid_error

CORPUS = json.loads((Path(__file__).parents[1] / "data" / "emails" / "corpus.json").read_text())
STATUS = {"allow": 201, "foreign": 403, "invalid": 400}


@pytest.fixture
def corpus_tenant(server: Server) -> Iterator[Tenant]:
    """An account that authorized exactly the corpus's domains (as the operator would, through the CLI)."""
    tenant = server.tenant()
    for entry in CORPUS["authorized"]:
        extra = ["--include-subdomains"] if entry["include_subdomains"] else []
        server.cli("domain", "authorize", tenant.id, entry["domain"], *extra)
    yield tenant
    server.release_domains(tenant)


def test_every_corpus_address_gets_its_verdict_over_http(server: Server, corpus_tenant: Tenant) -> None:
    """Each address is created (allow) or refused with 403 (foreign) or 400 (invalid); no refused one is stored."""
    seen: list[tuple[str, int]] = []
    for i, case in enumerate(CORPUS["cases"]):
        as_email = user(f"corpus-{i}", emails=[{"value": case["input"]}])
        # ASCII JSON with \u escapes: lone surrogates and invisible characters travel as the IdP would send them.
        body = json.dumps(as_email, ensure_ascii=True)
        response = corpus_tenant.client.post("/Users", content=body, headers={"Content-Type": "application/scim+json"})
        seen.append((case["input"], response.status_code))
        if response.status_code != 201:
            valid_error(response.json())
    expected = [(case["input"], STATUS[case["verdict"]]) for case in CORPUS["cases"]]
    assert seen == expected
    # Whatever was refused left nothing behind: every stored address is in an authorized domain.
    authorized = [
        AuthorizedDomain(normalise_domain(e["domain"]), e["include_subdomains"]) for e in CORPUS["authorized"]
    ]
    with server.db.read() as conn:
        values = conn.execute(
            select(member_emails.c.value_key)
            .join(members, members.c.id == member_emails.c.member_id)
            .where(members.c.account_id == corpus_tenant.id)
        ).scalars()
        assert all(domain_allowed(parse_email(value).domain, authorized) for value in values)


def test_user_name_in_a_foreign_domain_is_refused_with_a_helpful_detail(tenant: Tenant) -> None:
    """Okta shows the detail to its admin: it names the domain, the account and what to do."""
    response = tenant.client.post("/Users", json=user("ceo@someone-else.com"))
    assert response.status_code == 403
    valid_error(response.json())
    assert response.json()["detail"] == (
        f"ceo@someone-else.com is in someone-else.com, which is not an authorized domain of the account "
        f"{tenant.name}. Ask support to authorize someone-else.com."
    )
    assert tenant.client.get("/Users").json()["totalResults"] == 0


def test_account_without_domains_refuses_all_provisioning(server: Server) -> None:
    """No authorized domain: nothing can be provisioned, and the detail says why."""
    bare = server.tenant()
    response = bare.client.post("/Users", json=user("ada@acme.com"))
    assert response.status_code == 403
    assert "has no authorized email domains" in response.json()["detail"]


def test_standard_plan_refuses_okta_with_a_helpful_detail(server: Server) -> None:
    """A downgraded account's token gets 403 naming the Enterprise plan."""
    standard = server.tenant(enterprise=False)
    response = standard.client.post("/Users", json=user("ada@acme.com"))
    assert response.status_code == 403
    valid_error(response.json())
    assert "requires the Enterprise plan" in response.json()["detail"]
    assert "Contact support" in response.json()["detail"]


def create(tenant: Tenant) -> dict[str, Any]:
    response = tenant.client.post("/Users", json=employee("mo@acme.com"))
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_put_and_patch_into_a_foreign_domain_are_refused_and_change_nothing(tenant: Tenant) -> None:
    """Moving an existing member's addresses to another domain is refused; the member stays as it was."""
    member = create(tenant)
    put = tenant.client.put(f"/Users/{member['id']}", json=user("mo@evil.io"))
    assert put.status_code == 403
    patch = tenant.client.patch(
        f"/Users/{member['id']}",
        json={
            "schemas": [PATCH_OP],
            "Operations": [{"op": "add", "path": "emails", "value": [{"value": "mo@acme.com.evil.io"}]}],
        },
    )
    assert patch.status_code == 403
    assert tenant.client.get(f"/Users/{member['id']}").json() == member


def test_revoking_a_domain_keeps_members_refuses_their_changes_but_never_their_deprovisioning(
    server: Server, tenant: Tenant
) -> None:
    """`domain revoke` reports the members in the domain; they stay, cannot change, can still be deactivated."""
    member = create(tenant)
    revoked = server.cli_json("domain", "revoke", tenant.id, "acme.com")
    assert revoked == {"revoked": "acme.com", "members_in_domain": 1}
    assert tenant.client.get(f"/Users/{member['id']}").status_code == 200
    renamed = tenant.client.put(f"/Users/{member['id']}", json={**member, "title": "Boss"})
    assert renamed.status_code == 403
    deactivate = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    off = tenant.client.patch(f"/Users/{member['id']}", json=deactivate)
    assert (off.status_code, off.json()["active"]) == (200, False)


def test_domain_cli_normalises_lists_and_refuses_overlaps(server: Server) -> None:
    """Domains are stored as lower-case A-labels; one domain (or one covering it) belongs to one account."""
    first = server.cli_json("account", "create", "Bücherei", "--enterprise")
    row = server.cli_json("domain", "authorize", first["id"], "BÜCHEREI.Example.", "--include-subdomains")
    assert (row["domain"], row["include_subdomains"]) == ("xn--bcherei-n2a.example", True)
    listed = server.cli_json("domain", "list", first["id"])
    assert [r["domain"] for r in listed] == ["xn--bcherei-n2a.example"]
    second = server.cli_json("account", "create", "Rival", "--enterprise")
    overlap = server.cli("domain", "authorize", second["id"], "shop.bücherei.example", check=False)
    assert overlap.returncode == 1
    assert "authorized for another account" in overlap.stderr
    refused = server.cli("domain", "authorize", second["id"], "not a domain", check=False)
    assert refused.returncode == 1
    assert "Traceback" not in refused.stderr


def test_plan_and_domain_changes_are_audited_as_the_operator(server: Server) -> None:
    """Plan changes and domain authorizations appear in the account's audit log with the operator as actor."""
    created = server.cli_json("account", "create", "Audited", "--enterprise")
    server.cli("domain", "authorize", created["id"], "audited.example")
    server.cli("account", "plan", created["id"], "standard")
    server.cli("domain", "revoke", created["id"], "audited.example")
    actions = [(e["action"], e["actor_type"]) for e in server.cli_json("audit", created["id"])]
    assert actions[1:] == [
        ("domain.authorized", "operator"),
        ("account.plan_changed", "operator"),
        ("domain.revoked", "operator"),
    ]
