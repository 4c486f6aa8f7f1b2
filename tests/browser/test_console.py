"""An account owner's journey in a real browser: set a password, sign in, generate the SCIM token, watch members."""

from __future__ import annotations

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import screenshot
from tests.e2e.conftest import Server

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PASSWORD = "correct horse battery staple"


def test_owner_generates_a_token_watches_members_and_removes_one(console_server: Server, page: Page) -> None:
    """The seed's path end to end: Account Settings → Generate Token (shown once) → members → removal → audit."""
    server = console_server
    domain = f"t{uuid.uuid4().hex[:6]}.acme.com"
    created = server.cli_json("account", "create", "Acme Corp", "--enterprise", "--owner-email", f"owner@{domain}")
    server.cli("domain", "authorize", created["id"], domain)

    page.goto(created["owner_set_password_url"])
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    page.get_by_label("Email").fill(f"owner@{domain}")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Account Settings")).to_be_visible()
    expect(page.get_by_text("No token yet.")).to_be_visible()
    screenshot(page, "01-settings-no-token")
    page.get_by_role("button", name="Generate Token").click()
    token = page.get_by_label("New SCIM token").input_value()
    assert re.fullmatch(r"skp_[A-Za-z0-9_-]{43}", token)
    expect(page.get_by_text("It will not be shown again")).to_be_visible()
    screenshot(page, "02-settings-token-shown-once")

    page.reload()
    expect(page.get_by_label("New SCIM token")).to_have_count(0)
    expect(page.locator("code.last4")).to_have_text(f"…{token[-4:]}")
    assert token not in page.content()
    screenshot(page, "03-settings-after-refresh")

    scim = httpx.Client(base_url=server.scim_url, headers={"Authorization": f"Bearer {token}"})
    server.clients.append(scim)  # closed with the server
    ids = {}
    for name in ("ada", "bob", "cy"):
        body = {"userName": f"{name}@{domain}", "displayName": f"{name.title()} Example",
                "emails": [{"value": f"{name}@{domain}", "primary": True}]}  # fmt: skip
        ids[name] = scim.post("/Users", json=body).json()["id"]
    off = {"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": False}}]}
    assert scim.patch(f"/Users/{ids['bob']}", json=off).status_code == 200

    page.get_by_role("link", name="Account Members").click()
    expect(page.get_by_role("link", name="Ada Example")).to_be_visible()
    bob_row = page.get_by_role("row").filter(has_text="Bob Example")
    expect(bob_row.get_by_text("Deprovisioned")).to_be_visible()
    expect(bob_row.get_by_text(re.compile(r"removal in 30 days, on \d{4}-\d{2}-\d{2}"))).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="Ada Example").get_by_text("Active")).to_be_visible()
    screenshot(page, "04-members")

    page.get_by_label("Search by name or email").fill("cy")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Cy Example")).to_be_visible()
    expect(page.get_by_role("link", name="Ada Example")).to_have_count(0)

    page.get_by_role("link", name="Cy Example").click()
    expect(page.get_by_role("heading", name="History")).to_be_visible()
    screenshot(page, "05-member-detail")
    page.get_by_role("link", name="Remove…").click()
    screenshot(page, "06-remove-confirmation")
    page.get_by_role("button", name="Remove member").click()
    expect(page.get_by_role("heading", name="Account Members")).to_be_visible()
    expect(page.get_by_role("link", name="Cy Example")).to_have_count(0)
    assert scim.get(f"/Users/{ids['cy']}").status_code == 404

    page.get_by_role("link", name="Account Settings").click()
    page.get_by_label("The current token stops working at once").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Re-generate Token").click()
    new_token = page.get_by_label("New SCIM token").input_value()
    assert new_token != token
    assert scim.get("/Users").status_code == 401
    assert server.client(new_token).get("/Users").status_code == 200

    page.get_by_role("link", name="Audit log").click()
    for action in ("token.generated", "member.provisioned", "member.deprovisioned", "member.removed"):
        expect(page.get_by_role("cell", name=action, exact=True).first).to_be_visible()
    expect(page.get_by_role("cell", name=f"owner@{domain}").first).to_be_visible()
    screenshot(page, "07-audit-log")
    page.get_by_label("Actor").select_option("admin")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="member.provisioned", exact=True)).to_have_count(0)
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0].startswith("at,actor_type,actor_id")
    assert any(",member.removed," in line for line in lines)


def test_standard_account_sees_why_scim_is_unavailable(console_server: Server, page: Page) -> None:
    """No token can be generated on the standard plan, and the page says so."""
    server = console_server
    email = f"owner@s{uuid.uuid4().hex[:6]}.example"
    created = server.cli_json("account", "create", f"Small {uuid.uuid4().hex[:4]}", "--owner-email", email)
    page.goto(created["owner_set_password_url"])
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.goto(f"{server.base_url}/console/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("SCIM provisioning is not available: it requires the Enterprise plan")).to_be_visible()
    expect(page.get_by_role("button", name="Generate Token")).to_have_count(0)
    screenshot(page, "08-standard-account")
