"""The ceiling: the least a Python SCIM server on uvicorn + SQLite can do per request, measured like scimkeeper.

Modelled on the shared harness's raw ASGI baseline (../shared/bench/peers/baseline/app.py, SQLite mode). No
framework, no validation, no schemas, no audit: a bearer token check, then ONE SQL statement per request on an
indexed table, run on the event loop (no thread hand-off):

  GET    /Users?filter=userName eq "x"   SELECT doc ... WHERE userName = ?           (unique index, NOCASE)
  GET    /Users/{id}                     SELECT doc ... WHERE id = ?                 (unique index)
  GET    /Users?startIndex=i&count=c     SELECT (SELECT COUNT(*) ...), doc ... ORDER BY rowid LIMIT ? OFFSET ?
  POST   /Users                          INSERT                                      (409 on a taken userName)
  PUT    /Users/{id}                     UPDATE ... SET userName, doc (keeps meta.created) ... RETURNING doc
  PATCH  /Users/{id}                     UPDATE ... SET doc = json_set(doc, ...) RETURNING doc
  DELETE /Users/{id}                     DELETE
  GET    /ServiceProviderConfig          constant (the readiness probe)

Stored documents are returned as stored (GET by id) or spliced into a ListResponse without parsing them. Only
`userName eq "..."` filters, and PATCH operations without a path or with a plain attribute path, are understood.

SQLite as scimkeeper runs it: WAL, synchronous=FULL (CEILING_SYNCHRONOUS=NORMAL for the shared baseline's
setting), busy_timeout 5000 ms; every statement is its own transaction (autocommit), so each write commits
(and fsyncs the WAL) once, like scimkeeper's one transaction per write request.

Environment: CEILING_DB (SQLite file; default ceiling.db in the temporary directory), CEILING_TOKEN (required
bearer token; empty refuses everything), CEILING_SYNCHRONOUS (FULL).

    python bench/ceiling.py --init DB        # create the empty schema (bench/run does this before starting)
    CEILING_DB=DB CEILING_TOKEN=T uvicorn ceiling:app --app-dir bench --loop uvloop --http httptools \\
        --no-access-log --workers 2 --host 127.0.0.1 --port 29112
"""

from __future__ import annotations

import hmac
import os
import re
import sqlite3
import sys
import tempfile
import urllib.parse
import uuid
from datetime import UTC, datetime

try:  # scimkeeper's own JSON library (in the project's .venv); the standard library otherwise
    import orjson

    def dumps(obj: object) -> bytes:
        return orjson.dumps(obj)

    loads = orjson.loads
    JSON_LIB = f"orjson {orjson.__version__}"
except ImportError:  # pragma: no cover - depends on the environment
    import json

    def dumps(obj: object) -> bytes:
        return json.dumps(obj, separators=(",", ":")).encode()

    loads = json.loads
    JSON_LIB = "json (standard library)"

DB = os.environ.get("CEILING_DB") or os.path.join(tempfile.gettempdir(), "ceiling.db")
TOKEN = os.environ.get("CEILING_TOKEN", "")
SYNCHRONOUS = os.environ.get("CEILING_SYNCHRONOUS", "FULL").upper()
PREFIX = "/scim/v2"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERR = "urn:ietf:params:scim:api:messages:2.0:Error"
HEADERS = [(b"content-type", b"application/scim+json")]
FILTER_RE = re.compile(r'^\s*userName\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)
PLAIN_PATH = re.compile(r"^[A-Za-z][A-Za-z0-9_$-]*$")
SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id TEXT NOT NULL UNIQUE,
    userName TEXT NOT NULL UNIQUE COLLATE NOCASE,
    doc TEXT NOT NULL
)
"""
SPC = dumps(
    {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": 1000},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer", "description": "static token"}],
    }
)
_db: sqlite3.Connection | None = None


def connect(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA busy_timeout=5000")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={'NORMAL' if SYNCHRONOUS == 'NORMAL' else 'FULL'}")
    return conn


def db() -> sqlite3.Connection:
    global _db  # noqa: PLW0603 - one connection per worker process, opened on its first request
    if _db is None:
        _db = connect(DB)
    return _db


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def error(status: int, detail: str) -> tuple[int, bytes]:
    return status, dumps({"schemas": [ERR], "status": str(status), "detail": detail})


def list_response(total: int, start: int, docs: list[str]) -> bytes:
    head = dumps({"schemas": [LIST], "totalResults": total, "itemsPerPage": len(docs), "startIndex": start})
    return head[:-1] + b',"Resources":[' + ",".join(docs).encode() + b"]}"


def int_param(q: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return int(q[name][0]) if name in q else default
    except ValueError:
        return default


def list_users(conn: sqlite3.Connection, qs: str) -> tuple[int, bytes]:
    q = urllib.parse.parse_qs(qs)
    if "filter" in q:
        m = FILTER_RE.match(q["filter"][0])
        if not m:
            return error(400, 'only userName eq "..." is supported')
        user_name = m.group(1).replace('\\"', '"').replace("\\\\", "\\")
        docs = [r[0] for r in conn.execute("SELECT doc FROM users WHERE userName = ?", (user_name,))]
        return 200, list_response(len(docs), 1, docs)
    start = max(1, int_param(q, "startIndex", 1))
    count = max(0, min(1000, int_param(q, "count", 100)))
    rows = conn.execute(
        "SELECT (SELECT COUNT(*) FROM users), doc FROM users ORDER BY rowid LIMIT ? OFFSET ?", (count, start - 1)
    ).fetchall()
    total = rows[0][0] if rows else conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]
    return 200, list_response(total, start, [r[1] for r in rows])


def create_user(conn: sqlite3.Connection, body: bytes) -> tuple[int, bytes]:
    doc = loads(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("userName"), str):
        return error(400, "userName is required")
    doc.pop("password", None)
    uid = str(uuid.uuid4())
    at = now()
    doc["id"] = uid
    doc["meta"] = {"resourceType": "User", "created": at, "lastModified": at, "location": f"{PREFIX}/Users/{uid}"}
    data = dumps(doc)
    try:
        conn.execute("INSERT INTO users (id, userName, doc) VALUES (?, ?, ?)", (uid, doc["userName"], data.decode()))
    except sqlite3.IntegrityError:
        return error(409, "userName exists")
    return 201, data


def replace_user(conn: sqlite3.Connection, uid: str, body: bytes) -> tuple[int, bytes]:
    doc = loads(body)
    if not isinstance(doc, dict) or not isinstance(doc.get("userName"), str):
        return error(400, "userName is required")
    doc.pop("password", None)
    doc["id"] = uid
    doc["meta"] = {"resourceType": "User", "lastModified": now(), "location": f"{PREFIX}/Users/{uid}"}
    try:
        row = conn.execute(
            'UPDATE users SET userName = ?, doc = json_set(?, \'$."meta"."created"\', '
            'json_extract(doc, \'$."meta"."created"\')) WHERE id = ? RETURNING doc',
            (doc["userName"], dumps(doc).decode(), uid),
        ).fetchone()
    except sqlite3.IntegrityError:
        return error(409, "userName exists")
    return (200, row[0].encode()) if row else error(404, "not found")


def patch_user(conn: sqlite3.Connection, uid: str, body: bytes) -> tuple[int, bytes]:
    request = loads(body)
    pairs: list[tuple[str, str]] = []  # (JSON path, JSON value) for json_set
    for op in request.get("Operations", []) if isinstance(request, dict) else []:
        kind, path, value = str(op.get("op", "")).lower(), op.get("path"), op.get("value")
        if kind not in ("add", "replace"):
            return error(400, "only add and replace are supported")
        if path is None and isinstance(value, dict):
            pairs += [(f'$."{k}"', dumps(v).decode()) for k, v in value.items() if PLAIN_PATH.match(k)]
        elif isinstance(path, str) and PLAIN_PATH.match(path):
            pairs.append((f'$."{path}"', dumps(value).decode()))
        else:
            return error(400, "only plain attribute paths are supported")
    pairs.append(('$."meta"."lastModified"', dumps(now()).decode()))
    setter = "json_set(doc" + ", ?, json(?)" * len(pairs) + ")"
    row = conn.execute(
        f"UPDATE users SET doc = {setter} WHERE id = ? RETURNING doc",  # noqa: S608 - only placeholders added
        (*(x for pair in pairs for x in pair), uid),
    ).fetchone()
    return (200, row[0].encode()) if row else error(404, "not found")


def handle(method: str, path: str, qs: str, body: bytes) -> tuple[int, bytes]:
    conn = db()
    if path == "/Users":
        if method == "GET":
            return list_users(conn, qs)
        if method == "POST":
            return create_user(conn, body)
    elif path.startswith("/Users/"):
        uid = urllib.parse.unquote(path[len("/Users/") :])
        if method == "GET":
            row = conn.execute("SELECT doc FROM users WHERE id = ?", (uid,)).fetchone()
            return (200, row[0].encode()) if row else error(404, "not found")
        if method == "PUT":
            return replace_user(conn, uid, body)
        if method == "PATCH":
            return patch_user(conn, uid, body)
        if method == "DELETE":
            gone = conn.execute("DELETE FROM users WHERE id = ? RETURNING id", (uid,)).fetchone()
            return (204, b"") if gone else error(404, "not found")
    elif path == "/ServiceProviderConfig" and method == "GET":
        return 200, SPC
    return error(404, "no such endpoint")


async def read_body(receive) -> bytes:  # type: ignore[no-untyped-def]
    chunks = []
    more = True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


async def send_response(send, status: int, data: bytes) -> None:  # type: ignore[no-untyped-def]
    headers = [*HEADERS, (b"content-length", str(len(data)).encode())] if data else []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def authorized(scope: dict) -> bool:  # type: ignore[type-arg]
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, credential = value.partition(b" ")
            return bool(TOKEN) and scheme.lower() == b"bearer" and hmac.compare_digest(credential, TOKEN.encode())
    return False


async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] != "http":
        return
    if not authorized(scope):
        await send_response(send, 401, error(401, "unauthorized")[1])
        return
    method = scope["method"]
    body = await read_body(receive) if method in ("POST", "PUT", "PATCH") else b""
    path = scope["path"]
    if path.startswith(PREFIX):
        path = path[len(PREFIX) :]
    try:
        status, data = handle(method, path.rstrip("/") or "/", scope.get("query_string", b"").decode(), body)
    except (ValueError, TypeError, AttributeError):  # unparsable JSON or an unexpected shape
        status, data = error(400, "invalid request")
    await send_response(send, status, data)


def init(path: str) -> None:
    """Create the empty schema (once, before the workers start)."""
    conn = connect(path)
    conn.execute(SCHEMA)
    conn.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--init":
        init(sys.argv[2])
        print(f"ceiling: schema ready in {sys.argv[2]} (synchronous={SYNCHRONOUS}, {JSON_LIB})")
    else:
        sys.exit("usage: python ceiling.py --init DB   (serve it with uvicorn ceiling:app, see the docstring)")
