"""What every SCIM request shares, whatever its resource: the rate limit, authentication by the bearer token in
the request's own transaction, one clock reading and one actor per request, bodies read within their limit and
parsed before any write lock, and the provisioning metrics once the transaction has committed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import orjson
from sqlalchemy import Connection
from starlette.requests import Request

from scimkeeper.domain import tokens
from scimkeeper.domain.accounts import Account
from scimkeeper.domain.audit import Actor
from scimkeeper.domain.vocabulary import ActorType
from scimkeeper.metrics import Metrics
from scimkeeper.scim.errors import InvalidSyntax, PayloadTooLarge, ScimError, TooManyRequests, UnsupportedMediaType
from scimkeeper.web import auth
from scimkeeper.web.rate_limit import RateLimiter
from scimkeeper.web.transactions import Transactions

T = TypeVar("T")
JSON_MEDIA_TYPES = frozenset({"application/scim+json", "application/json"})


@dataclass(frozen=True)
class Call:
    """One authenticated SCIM request inside its transaction: whose account, who acts, and when (one reading of
    the clock per request, so that every row and audit entry it writes has the same time)."""

    account: Account
    actor: Actor
    now: datetime


Operation = Callable[[Connection, Call], T]


class ScimCalls:
    """Runs a request's `operation(conn, call)` in one read or write transaction, after authenticating it there."""

    def __init__(
        self,
        transactions: Transactions,
        clock: Callable[[], datetime],
        *,
        metrics: Metrics | None = None,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.transactions = transactions
        self.clock = clock
        self.metrics = metrics
        self.limiter = limiter

    async def run(self, request: Request, operation: Operation[T], *, write: bool) -> T:
        """Authenticate and run `operation` in one transaction (see `web.transactions` for where it runs)."""
        now = self.clock()
        authorization = request.headers.get("authorization")
        agent = request.headers.get("user-agent")
        request_id = request.scope.get("state", {}).get("request_id")
        actions: list[str] = []  # the audit actions of the transaction, counted once it has committed
        if self.limiter is not None:
            # Keyed on the credential, not the header: `bearer`, `BEARER` or two spaces are the same token.
            wait = self.limiter.retry_after(auth.bearer_credential(authorization))
            if wait is not None:
                raise TooManyRequests(
                    f"Too many requests with this token; retry in {wait} s.", headers={"Retry-After": str(wait)}
                )

        stale: list[tokens.Token] = []  # the token, when its last use must be recorded after a read

        def work(conn: Connection) -> T:
            token, account, is_stale = auth.authenticate(conn, authorization, now)
            request.state.account_id = account.id
            if is_stale and write:
                tokens.record_use(conn, token, now)
            elif is_stale:
                stale.append(token)
            actor = Actor(ActorType.SCIM_TOKEN, token.id, agent, request_id, on_record=actions.append)
            return operation(conn, Call(account, actor, now))

        result = await (self.transactions.write(work) if write else self.transactions.read(work))
        if stale:
            await self.transactions.write(lambda conn: tokens.record_use(conn, stale[0], now))
        if actions and self.metrics is not None:
            self.metrics.lifecycle(actions, request.state.account_id)
        return result


class Parsed(Generic[T]):
    """A request body parsed before the write transaction (not while holding SQLite's write lock), or its error.

    The error is raised only by `get()`, inside the transaction and after authentication: a request without a
    valid token is answered 401 whatever its body holds, as when the body was parsed inside.
    """

    def __init__(self, value: T | None, error: ScimError | None) -> None:
        self._value = value
        self._error = error

    def get(self) -> T:
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]


def parse_early(parse: Callable[[], T]) -> Parsed[T]:
    try:
        return Parsed(parse(), None)
    except ScimError as exc:
        return Parsed(None, exc)


def json_body(request: Request, body: bytes) -> Any:
    """The JSON document of a request whose Content-Type is SCIM or plain JSON (a missing one is tolerated)."""
    content_type = request.headers.get("content-type")
    if content_type is not None and content_type.split(";", 1)[0].strip().lower() not in JSON_MEDIA_TYPES:
        raise UnsupportedMediaType(
            f"Content-Type {content_type!r} is not supported; send application/scim+json or application/json."
        )
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntax(f"The request body is not valid JSON: {exc}.") from None


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it is known to exceed `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The request body is {int(declared)} bytes; the limit is {limit} bytes.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
