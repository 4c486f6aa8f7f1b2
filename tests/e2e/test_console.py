"""The console's security over real HTTP: CSRF, sessions, throttling, tenancy, and separation from the SCIM API."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, start_server, stop_server

PASSWORD = "correct horse battery staple"


class Admin:
    """A browser-like HTTP client of the console (cookies kept), signed in as one owner or admin."""

    def __init__(self, server: Server, email: str, set_password_url: str) -> None:
        self.server = server
        self.email = email
        self.http = httpx.Client(base_url=server.base_url, follow_redirects=False)
        server.clients.append(self.http)
        form = self.http.get(set_password_url)
        self.http.post(set_password_url, data={"csrf": csrf_of(form.text), "password": PASSWORD})

    def sign_in(self, password: str = PASSWORD) -> httpx.Response:
        form = self.http.get("/console/sign-in")
        return self.http.post(
            "/console/sign-in", data={"csrf": csrf_of(form.text), "email": self.email, "password": password}
        )

    def csrf(self) -> str:
        return csrf_of(self.http.get("/console/settings").text)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def new_owner(server: Server, *, enterprise: bool = True) -> tuple[dict[str, str], Admin]:
    domain = f"c{uuid.uuid4().hex[:8]}.example"
    email = f"owner@{domain}"
    flags = ["--enterprise"] if enterprise else []
    created = server.cli_json("account", "create", f"Co {domain}", *flags, "--owner-email", email)
    server.cli("domain", "authorize", created["id"], domain)
    created["domain"] = domain
    return created, Admin(server, email, created["owner_set_password_url"])


def test_sign_in_sets_a_hardened_session_cookie(server: Server) -> None:
    """HttpOnly, SameSite=Lax, scoped to /console, with an expiry."""
    _, owner = new_owner(server)
    response = owner.sign_in()
    assert (response.status_code, response.headers["location"]) == (303, "/console/settings")
    cookie = response.headers["set-cookie"]
    assert "scimkeeper_session=sks_" in cookie
    for attribute in ("HttpOnly", "SameSite=lax", "Path=/console", "Max-Age=28800"):
        assert attribute.lower() in cookie.lower()
    assert owner.http.get("/console/settings").status_code == 200


def test_forms_without_the_csrf_token_are_refused(server: Server) -> None:
    """A cross-site form post cannot generate a token: 403, nothing changes."""
    created, owner = new_owner(server)
    owner.sign_in()
    forged = owner.http.post("/console/settings/token", data={})
    assert forged.status_code == 403
    assert server.cli_json("account", "show", created["id"])["scim_token"] is None
    sign_in_without = httpx.post(
        f"{server.base_url}/console/sign-in", data={"email": owner.email, "password": PASSWORD}
    )
    assert sign_in_without.status_code == 403


def test_sign_out_ends_the_session_for_good(server: Server) -> None:
    """The old cookie no longer opens any page."""
    _, owner = new_owner(server)
    owner.sign_in()
    cookie = owner.http.cookies.get("scimkeeper_session", path="/console")
    assert cookie is not None
    assert owner.http.post("/console/sign-out", data={"csrf": owner.csrf()}).status_code == 303
    replay = httpx.get(f"{server.base_url}/console/settings", cookies={"scimkeeper_session": cookie})
    assert (replay.status_code, replay.headers["location"]) == (303, "/console/sign-in")


def test_sign_in_is_throttled_after_five_failures(server: Server) -> None:
    """Five wrong passwords in 15 minutes: the sixth attempt is refused even with the right password."""
    _, owner = new_owner(server)
    for _ in range(5):
        assert owner.sign_in("wrong password!").status_code == 401
    throttled = owner.sign_in()
    assert throttled.status_code == 429
    assert "Too many failed sign-ins" in throttled.text


def test_an_admin_of_one_account_cannot_open_anothers_pages(server: Server) -> None:
    """Member pages of another account answer 404, exactly like a missing member."""
    _first, owner_a = new_owner(server)
    second, _owner_b = new_owner(server)
    token_b = server.cli_json("token", "generate", second["id"])["token"]
    member_b = server.client(token_b).post("/Users", json={"userName": f"x@{second['domain']}"}).json()["id"]
    owner_a.sign_in()
    assert owner_a.http.get(f"/console/members/{member_b}").status_code == 404
    assert owner_a.http.get("/console/members/00000000-0000-4000-8000-000000000000").status_code == 404
    assert member_b not in owner_a.http.get("/console/members").text
    assert member_b not in owner_a.http.get("/console/audit").text


def test_console_errors_are_console_pages(server: Server) -> None:
    """An unknown console path, a wrong method and a refusal are HTML pages with the console's security headers."""
    _created, owner = new_owner(server)
    owner.sign_in()
    for response in (
        owner.http.get("/console/nope"),
        owner.http.delete("/console/settings"),
        owner.http.post("/console/settings/token", data={"csrf": "forged"}),
    ):
        assert response.headers["content-type"] == "text/html; charset=utf-8"
        assert response.headers["x-frame-options"] == "DENY"
        assert "Traceback" not in response.text
    allowed = owner.http.delete("/console/settings").headers["allow"]
    assert set(allowed.split(", ")) == {"GET", "HEAD"}


def test_scim_tokens_do_not_open_the_console_and_sessions_do_not_open_scim(server: Server) -> None:
    """Bearer tokens are ignored by the console; the console cookie is ignored by the SCIM API."""
    created, owner = new_owner(server)
    owner.sign_in()
    token = server.cli_json("token", "generate", created["id"])["token"]
    by_token = httpx.get(f"{server.base_url}/console/settings", headers={"Authorization": f"Bearer {token}"})
    assert by_token.status_code == 303
    cookie = owner.http.cookies.get("scimkeeper_session", path="/console")
    assert cookie is not None
    by_cookie = httpx.get(f"{server.scim_url}/Users", cookies={"scimkeeper_session": cookie})
    assert by_cookie.status_code == 401


def test_admins_cannot_remove_owners_but_owners_can(server: Server) -> None:
    """An owner who is also a provisioned member can only be removed by an owner."""
    created, owner = new_owner(server)
    owner.sign_in()
    invite = owner.http.post(
        "/console/settings/admins", data={"csrf": owner.csrf(), "email": f"admin@{created['domain']}"}
    )
    assert invite.status_code == 303
    link = re.search(r'id="invite-link" readonly value="([^"]+)"', owner.http.get("/console/settings").text)
    assert link
    admin = Admin(server, f"admin@{created['domain']}", link.group(1))
    admin.sign_in()
    token = server.cli_json("token", "generate", created["id"])["token"]
    owner_member = server.client(token).post("/Users", json={"userName": owner.email}).json()["id"]
    assert admin.http.get(f"/console/members/{owner_member}/remove").status_code == 403
    refused = admin.http.post(f"/console/members/{owner_member}/remove", data={"csrf": admin.csrf()})
    assert refused.status_code == 403
    assert "Only an owner can remove an owner." in refused.text
    removed = owner.http.post(f"/console/members/{owner_member}/remove", data={"csrf": owner.csrf()})
    assert removed.status_code == 303
    assert server.client(token).get(f"/Users/{owner_member}").status_code == 404


def test_admins_cannot_invite(server: Server) -> None:
    """The domain refuses an admin's invitation; the console shows its reason on a 403 page."""
    created, _owner = new_owner(server)
    email = f"admin@{created['domain']}"
    invited = server.cli_json("admin", "invite", created["id"], email, "--role", "admin")
    admin = Admin(server, email, invited["set_password_url"])
    admin.sign_in()
    refused = admin.http.post(
        "/console/settings/admins", data={"csrf": admin.csrf(), "email": f"friend@{created['domain']}"}
    )
    assert refused.status_code == 403
    assert "Only an owner can invite admins." in refused.text
    assert f"friend@{created['domain']}" not in server.cli("admin", "list", created["id"]).stdout


def test_set_password_links_work_once(server: Server) -> None:
    """A used link shows that it has expired or was used."""
    created, _owner = new_owner(server)
    again = httpx.get(created["owner_set_password_url"])
    assert "expired or was already used" in again.text


@pytest.fixture(scope="module")
def https_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose public URL is https (behind a TLS proxy): its cookies must be Secure."""
    tmp: Path = tmp_path_factory.mktemp("https")
    env = {
        **os.environ,
        "SCIMKEEPER_DATABASE_URL": f"sqlite:///{tmp / 'https.db'}",
        "SCIMKEEPER_PUBLIC_BASE_URL": "https://scim.example.com",
    }
    server = start_server(env, tmp / "server.log")
    yield server
    stop_server(server)


def test_cookies_are_secure_behind_https(https_server: Server) -> None:
    """With an https public URL every console cookie carries Secure."""
    response = httpx.get(f"{https_server.base_url}/console/sign-in")
    assert "secure" in response.headers["set-cookie"].lower()


def test_a_standard_account_cannot_generate_a_token_even_by_posting_the_form(server: Server) -> None:
    """The console refuses with the reason (403, as the SCIM API refuses the plan), and no token exists afterwards."""
    created, owner = new_owner(server, enterprise=False)
    owner.sign_in()
    refused = owner.http.post("/console/settings/token", data={"csrf": owner.csrf()})
    assert refused.status_code == 403
    assert "requires the Enterprise plan" in refused.text
    assert server.cli_json("account", "show", created["id"])["scim_token"] is None
