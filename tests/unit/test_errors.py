"""One mapping from errors to responses, rendered in the flavour of the API: SCIM, plain JSON or a console page."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import orjson
import pytest
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.requests import Request

from scimkeeper.domain import addresses
from scimkeeper.domain import errors as domain
from scimkeeper.scim.errors import TooManyRequests
from scimkeeper.web.errors import DOMAIN_STATUS, FLAVOUR, Flavour, declare, on_error, response_for, status_for

T = TypeVar("T")
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


def request(**scope: Any) -> Request:
    base = {"type": "http", "method": "GET", "path": "/", "headers": [], "state": {"request_id": "r-1"}}
    return Request({**base, **scope})


def run(main: Callable[[], Awaitable[T]]) -> T:
    """`asyncio.run` in a thread of its own: the browser tests leave Playwright's event loop running in this one."""

    async def awaited() -> T:
        return await main()

    with ThreadPoolExecutor(1) as thread:
        return thread.submit(lambda: asyncio.run(awaited())).result()


def body(response: Any) -> Any:
    return orjson.loads(response.body)


def subclasses(cls: type[Exception]) -> set[type[Exception]]:
    found = set(cls.__subclasses__())
    return found.union(*(subclasses(sub) for sub in found))


def test_every_domain_error_has_a_status() -> None:
    """A new domain error must be given its status here, or it would surface as a 500."""
    assert addresses.DomainNotAuthorized in subclasses(domain.DomainError)
    assert subclasses(domain.DomainError) <= set(DOMAIN_STATUS)


def test_a_domain_error_is_a_scim_error_document_in_the_scim_flavour() -> None:
    """Status as a string, scimType and detail, as application/scim+json."""
    response = response_for(request(), domain.UserNameTaken("userName ada is taken"), Flavour.SCIM)
    assert (response.status_code, response.media_type) == (409, "application/scim+json")
    assert body(response) == {
        "schemas": [ERROR_SCHEMA],
        "status": "409",
        "scimType": "uniqueness",
        "detail": "userName ada is taken",
    }


def test_plain_json_has_the_status_and_the_detail_only() -> None:
    response = response_for(request(), domain.UserNameTaken("taken"), Flavour.JSON)
    assert (response.status_code, response.media_type) == (409, "application/json")
    assert body(response) == {"status": 409, "detail": "taken"}


@pytest.mark.parametrize("flavour", [Flavour.SCIM, Flavour.JSON])
def test_a_401_of_a_bearer_api_challenges_for_a_bearer_token(flavour: Flavour) -> None:
    response = response_for(request(), domain.TokenInvalid("unknown token"), flavour)
    assert response.headers["www-authenticate"] == 'Bearer realm="scimkeeper"'


def test_an_error_may_name_its_own_challenge() -> None:
    """The metrics token has its own realm."""
    refused = HTTPException(401, "send the metrics token", headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
    assert response_for(request(), refused, Flavour.JSON).headers["www-authenticate"] == 'Bearer realm="metrics"'


def test_the_console_does_not_challenge_for_a_bearer_token() -> None:
    response = response_for(request(), domain.TokenInvalid("expired link"), Flavour.HTML)
    assert response.status_code == 401
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize("flavour", list(Flavour))
def test_the_headers_an_error_carries_are_sent(flavour: Flavour) -> None:
    """Retry-After of a 429 and Allow of a 405 reach the client whatever the flavour."""
    limited = response_for(request(), TooManyRequests("slow down", headers={"Retry-After": "3"}), flavour)
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "3")
    wrong_method = response_for(request(), HTTPException(405, headers={"Allow": "GET, HEAD"}), flavour)
    assert (wrong_method.status_code, wrong_method.headers["allow"]) == (405, "GET, HEAD")


@pytest.mark.parametrize("flavour", list(Flavour))
def test_an_unexpected_error_is_a_500_with_the_request_id_and_its_cause_in_the_log(
    flavour: Flavour, caplog: pytest.LogCaptureFixture
) -> None:
    """An integrity error that is no known uniqueness (a foreign key) is a bug: internal error, request id, logged."""
    failure = IntegrityError("INSERT INTO members ...", {}, Exception("FOREIGN KEY constraint failed"))
    with caplog.at_level(logging.ERROR, logger="scimkeeper.web"):
        response = response_for(request(), failure, flavour)
    assert response.status_code == 500
    text = bytes(response.body).decode()
    assert "internal error (request id r-1)" in text
    assert "FOREIGN KEY" not in text
    assert "Traceback" not in text
    [record] = caplog.records
    assert (record.exc_info or (None, None))[1] is failure
    assert record.__dict__["request_id"] == "r-1"


def test_a_console_page_says_not_found_without_the_detail() -> None:
    """Whether an id exists in another account is nobody's business: the same page for every 404."""
    response = response_for(request(), domain.MemberNotFound("no user with id 'x'"), Flavour.HTML)
    text = bytes(response.body).decode()
    assert (response.status_code, response.headers["x-frame-options"]) == (404, "DENY")
    assert "Not found" in text
    assert "no user with id" not in text


def test_a_console_page_gives_the_reason_of_a_refusal() -> None:
    response = response_for(request(), domain.NotAllowed("Only an owner can remove an owner."), Flavour.HTML)
    assert response.status_code == 403
    assert "Only an owner can remove an owner." in bytes(response.body).decode()


def test_status_for_is_the_status_of_the_response() -> None:
    """The console's forms show the error themselves, with the status the mapping gives."""
    assert status_for(domain.UserNameTaken("taken")) == 409
    assert status_for(domain.InvalidPassword("too short")) == 400
    assert status_for(ValueError("a bug")) == 500


def test_a_declared_flavour_is_the_one_starlette_errors_are_answered_in() -> None:
    """`declare` marks the request; the exception handler reads the mark, plain JSON without one."""
    seen: list[Flavour] = []

    async def app(scope: Any, _receive: Any, _send: Any) -> None:
        seen.append(scope[FLAVOUR])

    middleware = declare(Flavour.HTML)
    declared = middleware.cls(app, *middleware.args, **middleware.kwargs)
    unused: Any = None  # the middleware neither receives nor sends
    run(lambda: declared({"type": "http"}, unused, unused))
    assert seen == [Flavour.HTML]
    marked = run(lambda: on_error(request(**{FLAVOUR: Flavour.HTML}), domain.NotAllowed("no")))
    unmarked = run(lambda: on_error(request(), domain.NotAllowed("no")))
    assert (marked.media_type, unmarked.media_type) == ("text/html", "application/json")
