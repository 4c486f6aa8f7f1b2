"""The admin console under /console: sign-in, Account Settings (the SCIM token), Account Members, audit log.

Server-rendered HTML; a little JavaScript only copies and confirms. Handlers run their database work in the
thread pool, in one transaction per request, and see only the signed-in admin's account.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from scimkeeper.config import Settings
from scimkeeper.domain import accounts, admins, audit, domains, members, roles, tokens
from scimkeeper.domain.addresses import unicode_domain
from scimkeeper.domain.audit import AuditEvent, EventFilter
from scimkeeper.domain.errors import DomainError, NotAllowed
from scimkeeper.domain.members import Member
from scimkeeper.domain.vocabulary import Action, ActorType, Target
from scimkeeper.scim.errors import ExpiredCursor, InvalidCursor
from scimkeeper.scim.filter import AttrPath, Compare, Filter, Or
from scimkeeper.scim.listing import IndexPage
from scimkeeper.scim.query import ListRequest
from scimkeeper.storage.db import Database
from scimkeeper.web import console_session as web
from scimkeeper.web.console_session import SignedIn, redirect, render, when
from scimkeeper.web.errors import status_for

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
CSV_LIMIT = 100_000
ACTORS = [("", "Anyone"), (ActorType.SCIM_TOKEN, "Identity provider (SCIM)"), (ActorType.ADMIN, "Owners and admins"),
          (ActorType.OPERATOR, "Support (operator)"), (ActorType.SYSTEM, "System (purge)")]  # fmt: skip
Page = Callable[[Connection, SignedIn, Request], Response]
Form = Callable[[Connection, SignedIn, Request, Mapping[str, Any]], Response]


class Console:
    def __init__(self, settings: Settings, db: Database, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        self.templates = web.templates()
        self.secure = settings.base_url.startswith("https://")
        self.lifetime = timedelta(hours=settings.console_session_hours)

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", lambda _request: redirect("/console/settings")),
            Route("/sign-in", self.sign_in_form, methods=["GET"]),
            Route("/sign-in", self.sign_in, methods=["POST"]),
            Route("/sign-out", self.sign_out, methods=["POST"]),
            Route("/set-password/{token}", self.set_password_form, methods=["GET"]),
            Route("/set-password/{token}", self.set_password, methods=["POST"]),
            Route("/settings", self.page(self.settings_page, write=True), methods=["GET"]),  # takes the flash
            Route("/settings/token", self.form(self.generate_token), methods=["POST"]),
            Route("/settings/admins", self.form(self.invite_admin), methods=["POST"]),
            Route("/members", self.page(self.members_page), methods=["GET"]),
            Route("/members/{id}", self.page(self.member_page), methods=["GET"]),
            Route("/members/{id}/remove", self.page(self.remove_page), methods=["GET"]),
            Route("/members/{id}/remove", self.form(self.remove_member), methods=["POST"]),
            Route("/audit", self.page(self.audit_page), methods=["GET"]),
            Route("/audit.csv", self.audit_csv, methods=["GET"]),
            Mount("/static", StaticFiles(directory=str(web.HERE / "static")), name="static"),
        ]

    # --- plumbing ---------------------------------------------------------------------------------------------

    def _signed_in(self, conn: Connection, request: Request) -> SignedIn | None:
        found = admins.session_for(conn, request.cookies.get(web.SESSION_COOKIE, ""), now=self.clock())
        if found is None:
            return None
        session, user = found
        return SignedIn(session, user, accounts.resolve(conn, user.account_id))

    def page(self, handler: Page, *, write: bool = False) -> Callable[[Request], Any]:
        """A page for signed-in admins (GET): anyone else is sent to the sign-in form.

        Pages read in a read transaction (on SQLite a write transaction would queue behind the IdP's writes).
        """

        async def endpoint(request: Request) -> Response:
            def work() -> Response:
                with self.db.write() if write else self.db.read() as conn:
                    signed_in = self._signed_in(conn, request)
                    if signed_in is None:
                        return redirect("/console/sign-in")
                    request.state.account_id = signed_in.account.id
                    return handler(conn, signed_in, request)

            return await run_in_threadpool(work)

        return endpoint

    def form(self, handler: Form) -> Callable[[Request], Any]:
        """A form post of a signed-in admin, refused unless it carries the session's CSRF token."""

        async def endpoint(request: Request) -> Response:
            fields = dict(await request.form())

            def work() -> Response:
                with self.db.write() as conn:
                    signed_in = self._signed_in(conn, request)
                    if signed_in is None:
                        return redirect("/console/sign-in")
                    if not web.csrf_ok(signed_in.session.csrf_token, fields.get("csrf")):
                        raise HTTPException(403, "The form expired. Reload the page and try again.")
                    request.state.account_id = signed_in.account.id
                    return handler(conn, signed_in, request, fields)

            return await run_in_threadpool(work)

        return endpoint

    def _context(self, signed_in: SignedIn, section: str, title: str, **extra: Any) -> dict[str, Any]:
        return {
            "user": signed_in.user,
            "account": signed_in.account,
            "csrf": signed_in.session.csrf_token,
            "section": section,
            "page_title": title,
            **extra,
        }

    # --- sign-in and passwords --------------------------------------------------------------------------------

    async def sign_in_form(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        token = web.pre_session_csrf(request)
        context = {"page_title": "Sign in", "csrf": token, "error": error, "user": None}
        response = render(self.templates, request, "sign_in.html", context, status)
        web.set_csrf_cookie(response, token, secure=self.secure)
        return response

    async def sign_in(self, request: Request) -> Response:
        fields = await request.form()
        if not web.csrf_ok(request.cookies.get(web.CSRF_COOKIE), fields.get("csrf")):
            return await self.sign_in_form(request, "The form expired. Please try again.", 403)
        email, password = str(fields.get("email", "")), str(fields.get("password", ""))
        client = request.client.host if request.client else "unknown"

        def work() -> admins.IssuedSession | admins.SignInRefused:
            with self.db.write() as conn:  # a refusal commits too: the failure counts towards the throttle
                return admins.sign_in(conn, email, password, client, now=self.clock(), lifetime=self.lifetime)

        outcome = await run_in_threadpool(work)
        if isinstance(outcome, admins.SignInRefused):
            return await self.sign_in_form(request, outcome.message, 429 if outcome.throttled else 401)
        response = redirect("/console/settings")
        web.set_session_cookie(response, outcome.token, secure=self.secure, max_age=int(self.lifetime.total_seconds()))
        return response

    async def sign_out(self, request: Request) -> Response:
        fields = await request.form()

        def work() -> None:
            with self.db.write() as conn:
                signed_in = self._signed_in(conn, request)
                if signed_in is not None and web.csrf_ok(signed_in.session.csrf_token, fields.get("csrf")):
                    admins.sign_out(conn, signed_in.session, now=self.clock())

        await run_in_threadpool(work)
        response = redirect("/console/sign-in")
        web.clear_session_cookie(response, secure=self.secure)
        return response

    async def set_password_form(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        token = request.path_params["token"]

        def work() -> bool:
            with self.db.read() as conn:
                return admins.link_is_usable(conn, token, now=self.clock())

        csrf = web.pre_session_csrf(request)
        context = {
            "page_title": "Choose your password",
            "usable": await run_in_threadpool(work),
            "csrf": csrf,
            "error": error,
            "min_length": admins.MIN_PASSWORD_LENGTH,
            "user": None,
        }
        response = render(self.templates, request, "set_password.html", context, status)
        web.set_csrf_cookie(response, csrf, secure=self.secure)
        return response

    async def set_password(self, request: Request) -> Response:
        fields = await request.form()
        if not web.csrf_ok(request.cookies.get(web.CSRF_COOKIE), fields.get("csrf")):
            return await self.set_password_form(request, "The form expired. Please try again.", 403)
        token, password = request.path_params["token"], str(fields.get("password", ""))

        def work() -> None:
            with self.db.write() as conn:
                admins.set_password(conn, token, password, now=self.clock())

        try:
            await run_in_threadpool(work)
        except DomainError as exc:  # the form again, with the reason
            return await self.set_password_form(request, str(exc), status_for(exc))
        message = "Your password is set. Sign in with your email address and the new password."
        context = {"page_title": "Password set", "message": message, "next_url": "/console/sign-in",
                   "next_label": "Sign in", "user": None}  # fmt: skip
        return render(self.templates, request, "message.html", context)

    # --- Account Settings -------------------------------------------------------------------------------------

    def settings_page(self, conn: Connection, signed_in: SignedIn, request: Request) -> Response:
        account = signed_in.account
        flash = admins.take_flash(conn, signed_in.session) or {}
        context = self._context(
            signed_in,
            "settings",
            "Account Settings",
            enterprise=account.plan == accounts.ENTERPRISE,
            token=tokens.live_token(conn, account),
            new_token=flash.get("token"),
            invite_link=flash.get("invite_link"),
            invite_email=flash.get("invite_email"),
            invite_error=flash.get("invite_error"),
            domains=[
                {"name": unicode_domain(d.domain), "include_subdomains": d.include_subdomains}
                for d in domains.list_for(conn, account)
            ],
            scim_url=self.settings.scim_base_url,
            admins=admins.users_of(conn, account) if signed_in.user.role == roles.OWNER else [],
        )
        return render(self.templates, request, "settings.html", context)

    def generate_token(
        self, conn: Connection, signed_in: SignedIn, _request: Request, _fields: Mapping[str, Any]
    ) -> Response:
        issued = tokens.generate(conn, signed_in.account, actor=admins.actor(signed_in.user), now=self.clock())
        admins.put_flash(conn, signed_in.session, {"token": issued.plaintext})
        return redirect("/console/settings#scim-token")

    def invite_admin(
        self, conn: Connection, signed_in: SignedIn, _request: Request, fields: Mapping[str, Any]
    ) -> Response:
        email = str(fields.get("email", ""))
        try:
            with conn.begin_nested():
                link = admins.invite(
                    conn, signed_in.account, email, roles.ADMIN, actor=admins.actor(signed_in.user), now=self.clock()
                )
        except NotAllowed:
            raise  # not a mistake in the form: the error page that says so (`web.errors`)
        except DomainError as exc:
            admins.put_flash(conn, signed_in.session, {"invite_error": str(exc)})
        else:
            url = f"{self.settings.base_url}/console/set-password/{link.token}"
            admins.put_flash(conn, signed_in.session, {"invite_link": url, "invite_email": link.user.email})
        return redirect("/console/settings#admins")

    # --- Account Members --------------------------------------------------------------------------------------

    def members_page(self, conn: Connection, signed_in: SignedIn, request: Request) -> Response:
        q = request.query_params.get("q", "").strip()[:200]
        cursor = request.query_params.get("cursor", "")
        list_request = ListRequest(
            filter=_search_filter(q) if q else None,
            sort_by=AttrPath(None, "userName"),
            page=IndexPage(1, PAGE_SIZE),
            cursor=cursor,
        )
        try:
            page = members.search(conn, signed_in.account, list_request, now=self.clock(), cursor_timeout=86_400)
        except (InvalidCursor, ExpiredCursor):  # a stale link: start again from the first page
            return redirect("/console/members" + (f"?{urlencode({'q': q})}" if q else ""))
        owners = roles.owner_addresses(conn, signed_in.account)

        def url(cursor_value: str | None) -> str | None:
            return f"/console/members?{urlencode({'q': q, 'cursor': cursor_value})}" if cursor_value else None

        context = self._context(
            signed_in,
            "members",
            "Account Members",
            q=q,
            total=page.total,
            rows=[self._member_view(m, owners) for m in page.resources],
            next_url=url(page.next_cursor),
            previous_url=url(page.previous_cursor),
            window_days=self.settings.deprovision_window_days,
        )
        return render(self.templates, request, "members.html", context)

    def member_page(self, conn: Connection, signed_in: SignedIn, request: Request) -> Response:
        member = members.get(conn, signed_in.account, request.path_params["id"])
        owners = roles.owner_addresses(conn, signed_in.account)
        view = self._member_view(member, owners)
        history = audit.search(conn, signed_in.account.id, EventFilter(target_id=member.id), limit=AUDIT_PAGE_SIZE)
        context = self._context(
            signed_in,
            "members",
            view["name"],
            m=view,
            events=[_event_view(event) for _, event in history],
            can_remove=roles.may_remove(admins.actor(signed_in.user), signed_in.account, member, owners),
        )
        return render(self.templates, request, "member.html", context)

    def remove_page(self, conn: Connection, signed_in: SignedIn, request: Request) -> Response:
        member = members.get(conn, signed_in.account, request.path_params["id"])
        owners = roles.owner_addresses(conn, signed_in.account)
        roles.check_remove(admins.actor(signed_in.user), signed_in.account, member, owners)
        view = self._member_view(member, owners)
        return render(self.templates, request, "remove.html", self._context(signed_in, "members", "Remove", m=view))

    def remove_member(
        self, conn: Connection, signed_in: SignedIn, request: Request, _fields: Mapping[str, Any]
    ) -> Response:
        actor = admins.actor(signed_in.user)
        members.remove(conn, signed_in.account, request.path_params["id"], actor=actor, now=self.clock())
        return redirect("/console/members")

    def _member_view(self, member: Member, owners: frozenset[str]) -> dict[str, Any]:
        document = member.document
        emails = [str(e["value"]) for e in document.get("emails", []) if "value" in e]
        primary = next((str(e["value"]) for e in document.get("emails", []) if e.get("primary") and "value" in e), None)
        name = document.get("name", {})
        display = (
            document.get("displayName")
            or name.get("formatted")
            or " ".join(part for part in (name.get("givenName"), name.get("familyName")) if part)
        )
        removal = members.removal_due(member, self.settings.deprovision_window)
        days_left = max(0, math.ceil((removal - self.clock()) / timedelta(days=1))) if removal else None
        return {
            "id": member.id,
            "name": display or document.get("userName"),
            "user_name": document.get("userName"),
            "email": primary or (emails[0] if emails else document.get("userName")),
            "emails": emails,
            "state": members.state(member),
            "removal": removal.strftime("%Y-%m-%d") if removal else None,
            "removal_iso": removal.isoformat() if removal else None,
            "days_left": days_left,
            "provisioned_by": "SCIM" if member.provisioned_by == members.ProvisionedBy.SCIM else "Manual",
            "created": when(member.created_at),
            "updated": when(member.updated_at),
            "updated_iso": member.updated_at.isoformat(),
            "external_id": document.get("externalId"),
            "owner": roles.is_owner(member, owners),
        }

    # --- audit log --------------------------------------------------------------------------------------------

    def audit_page(self, conn: Connection, signed_in: SignedIn, request: Request) -> Response:
        wanted, shown, error = _audit_filter(request.query_params)
        before = request.query_params.get("before", "")
        if before.isdigit():
            wanted = EventFilter(wanted.target_id, wanted.actor_type, wanted.since, wanted.until, int(before))
        rows = audit.search(conn, signed_in.account.id, wanted, limit=AUDIT_PAGE_SIZE + 1)
        more = len(rows) > AUDIT_PAGE_SIZE
        rows = rows[:AUDIT_PAGE_SIZE]
        query = {k: v for k, v in shown.items() if v}
        context = self._context(
            signed_in,
            "audit",
            "Audit log",
            f=shown,
            actors=ACTORS,
            error=error,
            events=[_event_view(event) for _, event in rows],
            csv_url="/console/audit.csv" + (f"?{urlencode(query)}" if query else ""),
            more_url=f"/console/audit?{urlencode({**query, 'before': rows[-1][0]})}" if more else None,
        )
        return render(self.templates, request, "audit.html", context)

    async def audit_csv(self, request: Request) -> Response:
        def work() -> list[AuditEvent] | None:
            with self.db.read() as conn:
                signed_in = self._signed_in(conn, request)
                if signed_in is None:
                    return None
                wanted, _shown, _error = _audit_filter(request.query_params)
                return [event for _, event in audit.search(conn, signed_in.account.id, wanted, limit=CSV_LIMIT)]

        events = await run_in_threadpool(work)
        if events is None:
            return redirect("/console/sign-in")
        headers = {**web.SECURITY_HEADERS, "Content-Disposition": 'attachment; filename="audit-log.csv"'}
        return StreamingResponse(_csv_lines(events), media_type="text/csv; charset=utf-8", headers=headers)


def _search_filter(q: str) -> Filter:
    """Members whose userName, displayName or an email starts with `q`: index-backed prefix searches."""
    return Or(
        Or(Compare(AttrPath(None, "userName"), "sw", q), Compare(AttrPath(None, "displayName"), "sw", q)),
        Compare(AttrPath(None, "emails", "value"), "sw", q),
    )


def _audit_filter(params: Mapping[str, str]) -> tuple[EventFilter, dict[str, str], str | None]:
    shown = {key: params.get(key, "").strip()[:100] for key in ("member", "actor", "since", "until")}
    error = None
    since = until = None
    try:
        if shown["since"]:
            since = datetime.combine(datetime.fromisoformat(shown["since"]).date(), time(), UTC)
        if shown["until"]:
            until = datetime.combine(datetime.fromisoformat(shown["until"]).date(), time(), UTC) + timedelta(days=1)
    except ValueError:
        error = "Dates are written YYYY-MM-DD."
    actor = shown["actor"] if shown["actor"] in {value for value, _ in ACTORS} else ""
    return EventFilter(shown["member"] or None, actor or None, since, until), shown, error


def _event_view(event: AuditEvent) -> dict[str, Any]:
    actors: dict[str, str] = {
        ActorType.SCIM_TOKEN: f"IdP ({event.actor_agent or 'SCIM client'})",
        ActorType.ADMIN: event.actor_id or "admin",
        ActorType.OPERATOR: "Support (operator)",
        ActorType.SYSTEM: f"System ({event.actor_id or 'job'})",
    }
    actor = actors.get(event.actor_type, event.actor_type)
    member = event.target_type == Target.MEMBER and event.action not in (Action.MEMBER_REMOVED, Action.MEMBER_PURGED)
    return {
        "at": when(event.at),
        "at_iso": event.at.isoformat(),
        "actor": actor,
        "action": event.action,
        "target": f"{event.target_type} {event.target_id or ''}".strip(),
        "member_url": f"/console/members/{event.target_id}" if member else None,
        "changes": orjson.dumps(event.changes).decode() if event.changes else "",
    }


def _csv_lines(events: list[AuditEvent]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = ["at", "actor_type", "actor_id", "actor_agent", "action", "target_type", "target_id", "changes",
               "request_id"]  # fmt: skip
    writer.writerow(columns)
    for event in events:
        row = [getattr(event, column) for column in columns]
        row[0] = event.at.isoformat()
        row[7] = orjson.dumps(event.changes).decode() if event.changes else ""
        writer.writerow(["" if value is None else value for value in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
