"""The access API for the host application (/api/v1): may a member use the application now?

Authenticated with an application key (`ska_...`, `scimkeeper app-key generate`), never with a SCIM token.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Connection
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from scimkeeper.domain import access, app_keys
from scimkeeper.domain.errors import AppKeyInvalid
from scimkeeper.scim.documents import format_datetime
from scimkeeper.web.auth import bearer_credential
from scimkeeper.web.transactions import Transactions

MAX_EMAIL_LENGTH = 320


class AccessApi:
    def __init__(self, transactions: Transactions, window: timedelta) -> None:
        self.transactions = transactions
        self.window = window

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/accounts/{account}/members/{member}/access", self.member_access, methods=["GET"]),
            Route("/accounts/{account}/access", self.email_access, methods=["GET"]),
        ]

    async def member_access(self, request: Request) -> Response:
        account, member = request.path_params["account"], request.path_params["member"]
        return await self._decide(request, lambda conn: access.for_member(conn, account, member, window=self.window))

    async def email_access(self, request: Request) -> Response:
        account, email = request.path_params["account"], request.query_params.get("email", "")
        if not email or len(email) > MAX_EMAIL_LENGTH:
            raise HTTPException(400, "give the member's address as ?email=...")
        return await self._decide(request, lambda conn: access.for_email(conn, account, email, window=self.window))

    async def _decide(self, request: Request, decide: Callable[[Connection], access.AccessDecision]) -> Response:
        credential = bearer_credential(request.headers.get("authorization"))
        if credential is None:
            raise AppKeyInvalid("send the application key as 'Authorization: Bearer <key>'")

        def work(conn: Connection) -> access.AccessDecision:
            app_keys.authenticate(conn, credential)
            return decide(conn)

        decision = await self.transactions.read(work)
        return JSONResponse(
            {
                "allowed": decision.allowed,
                "state": decision.state,
                "reason": decision.reason,
                "account": decision.account_id,
                "member": decision.member_id,
                "removalAt": format_datetime(decision.removal_at) if decision.removal_at else None,
            },
            headers={"Cache-Control": "no-store"},
        )
