"""The edge of the real API, served by uvicorn on a free local port: security headers on every kind of
response in every environment, CORS preflights, the docs pages, and one security event per refused
upload.

Apps that never touch the database point at a port where none listens; the rest get a migrated
PostgreSQL database of their own.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import create_engine, select

from api.csp import web_app_policy
from api.main import create_app
from shared.config import (
    AuthSettings,
    BrokerSettings,
    EdgeSettings,
    LimitsSettings,
    ServerSettings,
    Settings,
)
from shared.migrations.runner import upgrade
from shared.models import User
from testkit import documents as make
from tests import hostile
from tests.auth.conftest import api_settings
from tests.postgres import create_database
from tests.serving import ServedApps

NO_DATABASE = "postgresql://workopti@127.0.0.1:9/unused"
NO_REDIS = "redis://127.0.0.1:9/0"  # publishing after an accepted upload fails and is logged, as designed
SPA_POLICY = "default-src 'self'; script-src 'self'; frame-ancestors 'none'; object-src 'none'"
API_POLICY = "default-src 'none'; frame-ancestors 'none'"
SECRET = "an-edge-test-secret-that-is-not-the-placeholder"
APP_ORIGIN = "https://app.example.com"
ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}


def edge_settings(
    environment: str,
    data_dir: Path,
    *,
    database_url: str = NO_DATABASE,
    origins: str = "",
    dist: Path | None = None,
    max_upload_bytes: int = 2 * 1024 * 1024,
) -> Settings:
    """Every group that matters here set explicitly, so the machine's environment changes nothing."""
    relaxed = environment in ("local", "dev")
    auth = (
        AuthSettings(AUTH_MODE="dev", AUTH_SECRET=SECRET)
        if relaxed
        else AuthSettings(AUTH_MODE="clerk", AUTH_SECRET=SECRET, CLERK_FRONTEND_API="clerk.example.com")
    )
    settings = api_settings(auth, database_url, data_dir, environment)
    settings.broker = BrokerSettings(REDIS_URL=NO_REDIS)
    settings.edge = EdgeSettings(
        CORS_ALLOWED_ORIGINS=origins, HSTS_MAX_AGE_SECONDS=1234, CONTENT_SECURITY_POLICY=SPA_POLICY
    )
    settings.limits = LimitsSettings(MAX_UPLOAD_BYTES=max_upload_bytes)
    settings.server = ServerSettings(FRONTEND_DIST=dist or data_dir / "no-web-app")
    return settings


Serve = Callable[..., httpx.Client]


@pytest.fixture
def serve(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> Iterator[Serve]:
    """serve(settings or app) starts the API with uvicorn and returns a client for it."""
    apps = ServedApps(caplog)

    def start(target: Settings | FastAPI) -> httpx.Client:
        return apps.start(target if isinstance(target, FastAPI) else create_app(target))

    yield start
    apps.stop_all()


@pytest.fixture
def web_app(tmp_path: Path) -> Path:
    """A built single-page app: an index page and one script."""
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text(
        '<!doctype html><html><body><script src="/assets/app.js"></script></body></html>'
    )
    (dist / "assets" / "app.js").write_text("console.log('app');")
    return dist


@pytest.fixture(scope="module")
def edge_database(pg_server) -> str:
    """A migrated database of this module's own: its uploads commit, unlike the rolled-back domain tests."""
    url = create_database(pg_server, "workopti_edge")
    upgrade(url)
    return url


def assert_secured(response: httpx.Response, *, policy: str = API_POLICY, hsts: bool = False) -> None:
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers)
    assert response.headers["content-security-policy"] == policy, response.request.url
    permissions = response.headers["permissions-policy"]
    assert all(f"{feature}=()" in permissions for feature in ("camera", "microphone", "geolocation"))
    if hsts:
        assert response.headers["strict-transport-security"] == "max-age=1234; includeSubDomains"
    else:
        assert "strict-transport-security" not in response.headers


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


# --- headers ------------------------------------------------------------------------------------


def test_every_kind_of_response_carries_the_security_headers(
    serve: Serve, tmp_path: Path, web_app: Path
) -> None:
    http = serve(edge_settings("local", tmp_path, dist=web_app))
    answers = [
        (http.get("/health/live"), 200, API_POLICY),
        (http.get("/api/v1/no-such-route"), 404, API_POLICY),
        (http.get("/api/v1/documents"), 401, API_POLICY),
        (http.delete("/health/live"), 405, API_POLICY),
        (http.get("/openapi.json"), 200, API_POLICY),
        (http.get("/"), 200, SPA_POLICY),
        (http.get("/documents/some-client-route"), 200, SPA_POLICY),
        (http.get("/assets/app.js"), 200, API_POLICY),
    ]
    for response, status, policy in answers:
        assert response.status_code == status, (response.request.url, response.text)
        assert_secured(response, policy=policy)
    assert answers[5][0].headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    ("environment", "hsts"), [("local", False), ("dev", False), ("showcase", True), ("prod", True)]
)
def test_hsts_is_sent_outside_local_and_dev(
    serve: Serve, tmp_path: Path, environment: str, hsts: bool
) -> None:
    http = serve(edge_settings(environment, tmp_path))
    assert_secured(http.get("/health/live"), hsts=hsts)
    missing = http.get("/api/v1/no-such-route")
    assert_problem(missing, 404, "not_found")
    assert_secured(missing, hsts=hsts)


def test_an_unexpected_error_leaves_as_a_problem_with_the_headers(serve: Serve, tmp_path: Path) -> None:
    """Starlette answers unhandled errors outside the application's own middleware; the edge must still
    be on that answer. The failing route is added to the real app to reach that path."""
    app = create_app(edge_settings("prod", tmp_path, origins=APP_ORIGIN))

    def broken() -> None:
        raise RuntimeError("a bug")

    app.add_api_route("/api/v1/broken", broken)
    http = serve(app)
    response = http.get("/api/v1/broken", headers={"Origin": APP_ORIGIN})
    assert_problem(response, 500, "internal_error")
    assert_secured(response, hsts=True)
    assert response.headers["access-control-allow-origin"] == APP_ORIGIN  # the browser may read the error


@pytest.mark.parametrize("environment", ["local", "dev"])
def test_the_docs_pages_load_their_cdn_in_local_and_dev_only(
    serve: Serve, tmp_path: Path, environment: str
) -> None:
    http = serve(edge_settings(environment, tmp_path))
    for path in ("/docs", "/redoc"):
        page = http.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        script_src = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
        assert "https://cdn.jsdelivr.net" in script_src
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize("environment", ["showcase", "prod"])
def test_the_docs_pages_are_not_served_in_showcase_and_prod(
    serve: Serve, tmp_path: Path, environment: str
) -> None:
    http = serve(edge_settings(environment, tmp_path))
    for path in ("/docs", "/redoc", "/docs/oauth2-redirect"):
        response = http.get(path)
        assert_problem(response, 404, "not_found")
        assert_secured(response, hsts=True)
    schema = http.get("/openapi.json")
    assert schema.status_code == 200 and schema.json()["info"]["title"] == "WorkOpti"
    assert_secured(schema, hsts=True)


# --- CORS ---------------------------------------------------------------------------------------

PREFLIGHT_HEADERS = "authorization, content-type, idempotency-key, if-none-match"


def preflight(
    http: httpx.Client, origin: str, method: str = "POST", headers: str = PREFLIGHT_HEADERS
) -> httpx.Response:
    return http.options(
        "/api/v1/documents",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": headers,
        },
    )


def test_local_without_origins_allows_any_origin_without_credentials(serve: Serve, tmp_path: Path) -> None:
    http = serve(edge_settings("local", tmp_path))
    answer = preflight(http, "https://anywhere.example")
    assert answer.status_code == 200, answer.text
    assert answer.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in answer.headers
    allowed = {h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")}
    assert {"authorization", "content-type", "idempotency-key", "if-none-match", "last-event-id"} <= allowed
    assert {"GET", "POST", "PUT", "DELETE"} <= set(answer.headers["access-control-allow-methods"].split(", "))
    assert_secured(answer)
    simple = http.get("/health/live", headers={"Origin": "https://anywhere.example"})
    assert simple.headers["access-control-allow-origin"] == "*"
    exposed = {h.strip().lower() for h in simple.headers["access-control-expose-headers"].split(",")}
    assert {"etag", "location"} <= exposed


@pytest.mark.parametrize("environment", ["dev", "prod"])
def test_configured_origins_are_the_only_ones_allowed(serve: Serve, tmp_path: Path, environment: str) -> None:
    http = serve(edge_settings(environment, tmp_path, origins=f"{APP_ORIGIN}/, https://admin.example.com"))
    allowed = preflight(http, APP_ORIGIN)
    assert allowed.status_code == 200, allowed.text
    assert allowed.headers["access-control-allow-origin"] == APP_ORIGIN
    assert "origin" in allowed.headers["vary"].lower()
    assert "access-control-allow-credentials" not in allowed.headers

    for refused in (preflight(http, "https://evil.example"), preflight(http, APP_ORIGIN, headers="x-debug")):
        body = assert_problem(refused, 400, "cors_preflight_refused")
        assert "access-control-allow-origin" not in refused.headers, body
        assert_secured(refused, hsts=environment == "prod")

    simple = http.get("/health/live", headers={"Origin": "https://evil.example"})
    assert simple.status_code == 200
    assert "access-control-allow-origin" not in simple.headers


def test_prod_without_origins_allows_no_cross_origin_call(serve: Serve, tmp_path: Path) -> None:
    http = serve(edge_settings("prod", tmp_path))
    assert_problem(preflight(http, APP_ORIGIN), 400, "cors_preflight_refused")
    assert (
        "access-control-allow-origin" not in http.get("/health/live", headers={"Origin": APP_ORIGIN}).headers
    )


@pytest.mark.parametrize("environment", ["showcase", "prod"])
def test_a_wildcard_origin_is_refused_at_start_outside_local_and_dev(
    tmp_path: Path, environment: str
) -> None:
    with pytest.raises(RuntimeError, match="CORS_ALLOWED_ORIGINS"):
        create_app(edge_settings(environment, tmp_path, origins="*"))


# --- responses that need documents --------------------------------------------------------------


def sign_in(http: httpx.Client, subject: str) -> None:
    token = http.post("/api/v1/auth/dev-token", json={"user_id": subject, "name": subject})
    assert token.status_code == 200, token.text
    http.headers["Authorization"] = f"Bearer {token.json()['access_token']}"


def upload(http: httpx.Client, filename: str, content: bytes, **kwargs: object) -> httpx.Response:
    return http.post(
        "/api/v1/documents", files={"file": (filename, content, "application/octet-stream")}, **kwargs
    )  # type: ignore[arg-type]


def test_not_modified_answers_and_downloads_carry_the_headers(
    serve: Serve, tmp_path: Path, edge_database: str
) -> None:
    http = serve(edge_settings("local", tmp_path, database_url=edge_database))
    sign_in(http, f"edge-{uuid.uuid4().hex[:8]}")
    created = upload(http, "notes.txt", make.txt(f"A note to download {uuid.uuid4()}"))
    assert created.status_code == 202, created.text
    assert_secured(created)
    document = http.get(created.headers["Location"], headers={"Origin": "https://anywhere.example"})
    assert "etag" in document.headers["access-control-expose-headers"].lower()
    again = http.get(created.headers["Location"], headers={"If-None-Match": document.headers["ETag"]})
    assert again.status_code == 304
    assert_secured(again)
    original = http.get(f"{created.headers['Location']}/file")
    assert original.status_code == 200
    assert original.headers["content-disposition"].startswith("attachment;")
    assert original.headers["content-type"].startswith("text/plain")
    assert_secured(original)


# --- security events for refused uploads ---------------------------------------------------------


def upload_chunked(http: httpx.Client, filename: str, content: bytes) -> httpx.Response:
    """A multipart body sent in chunks with no Content-Length: the size is only known as it arrives."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()

    def body() -> Iterator[bytes]:
        yield head
        for start in range(0, len(content), 256 * 1024):
            yield content[start : start + 256 * 1024]
        yield f"\r\n--{boundary}--\r\n".encode()

    return http.post(
        "/api/v1/documents",
        content=body(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def upload_events(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "workopti.security" and getattr(r, "event", None) == "upload_rejected"
    ]


def declared_too_large(http: httpx.Client) -> httpx.Response:
    """Only headers, declaring 200 MB: the refusal must come before any body is read."""
    host, port = http.base_url.host, http.base_url.port
    request = (
        f"POST /api/v1/documents HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: {http.headers['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\nConnection: close\r\n\r\n"
    )
    with socket.create_connection((host, port), timeout=10) as conn:
        conn.sendall(request.encode())
        received = b""
        while chunk := conn.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return httpx.Response(status, content=body, headers={"content-type": "application/problem+json"})


REFUSALS: list[tuple[str, Callable[[httpx.Client], httpx.Response], int, str, str | None]] = [
    ("polyglot", lambda http: upload(http, "report.pdf", hostile.pdf_with_zip_appended(["Two files in one."])),
     415, "polyglot_file", ".pdf"),
    ("too many frames", lambda http: upload(http, "scan.TIFF", hostile.tiff_with_many_frames(2500)),
     422, "too_many_pages", ".tiff"),
    ("bomb", lambda http: upload(http, "letter.docx", hostile.docx_with_expanding_part(64 * hostile.MIB, "word/media/a.png")),
     422, "decompression_bomb", ".docx"),
    ("too large while streaming", lambda http: upload_chunked(http, "huge.txt", b"a" * (3 * 1024 * 1024)),
     413, "file_too_large", ".txt"),
    ("too large as declared", lambda http: upload(http, "huge.txt", b"a" * (3 * 1024 * 1024)),
     413, "file_too_large", None),
    ("too large before any byte", declared_too_large, 413, "file_too_large", None),
    ("no file part", lambda http: http.post("/api/v1/documents", files={"other": ("x.txt", b"x")}),
     400, "file_missing", None),
    ("wrong extension", lambda http: upload(http, "photo.png", make.text_pdf(["I am a PDF."])),
     415, "extension_mismatch", ".png"),
    ("path in the name", lambda http: upload(http, "../../etc/passwd.pdf", make.text_pdf(["traversal"])),
     400, "invalid_filename", ".pdf"),
    ("odd extension", lambda http: upload(http, "run.p\u202edf", b"MZ\x90\x00" + bytes(64)),
     415, "unsupported_file_type", "(unusual)"),
    ("unknown pipeline", lambda http: upload(http, "a.txt", make.txt(f"x {uuid.uuid4()}"), data={"pipeline": "ai,translate"}),
     400, "invalid_pipeline", ".txt"),
    ("key too long", lambda http: upload(http, "b.txt", make.txt(f"y {uuid.uuid4()}"), headers={"Idempotency-Key": "k" * 300}),
     422, "validation_error", ".txt"),
]  # fmt: skip


def test_each_refused_upload_records_one_security_event(
    serve: Serve, tmp_path: Path, edge_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    http = serve(edge_settings("local", tmp_path, database_url=edge_database))
    subject = f"edge-{uuid.uuid4().hex[:8]}"
    sign_in(http, subject)
    assert http.get("/api/v1/documents").status_code == 200  # the user row is made on first sight
    engine = create_engine(edge_database)
    with engine.connect() as connection:
        user_id = str(connection.execute(select(User.id).where(User.subject == subject)).scalar_one())
    engine.dispose()

    for name, send, status, code, ext in REFUSALS:
        caplog.clear()
        assert_problem(send(http), status, code)
        events = upload_events(caplog)
        assert len(events) == 1, (name, [r.getMessage() for r in events])
        event = events[0]
        assert (event.reason, event.user, event.detail_extension) == (code, user_id, ext), name  # type: ignore[attr-defined]
        assert event.security["extension"] == ext and event.route == "/api/v1/documents"  # type: ignore[attr-defined]


def test_no_event_for_accepted_or_unauthenticated_uploads_and_no_filename_in_logs(
    serve: Serve, tmp_path: Path, edge_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    http = serve(edge_settings("local", tmp_path, database_url=edge_database))
    sign_in(http, f"edge-{uuid.uuid4().hex[:8]}")
    accepted = upload(http, "fine.txt", make.txt(f"accepted {uuid.uuid4()}"))
    assert accepted.status_code == 202, accepted.text
    with httpx.Client(base_url=http.base_url) as anonymous:
        assert_problem(upload(anonymous, "anon.txt", b"hello"), 401, "missing_token")
    assert upload_events(caplog) == []

    private = "Jane Doe medical record"
    assert_problem(upload(http, f"{private}.pdf", hostile.html_then_pdf(["private"])), 415, "polyglot_file")
    assert len(upload_events(caplog)) == 1
    for record in caplog.records:
        assert private not in record.getMessage() + repr(vars(record))


def test_the_web_app_reads_its_configuration_at_run_time(serve: Serve, tmp_path: Path, web_app: Path) -> None:
    settings = edge_settings("prod", tmp_path, dist=web_app, origins=APP_ORIGIN)
    clerk_key = "pk_live_" + base64.b64encode(b"clerk.example.com$").decode()
    settings.server = ServerSettings(
        FRONTEND_DIST=web_app,
        VITE_APP_API_URL="https://api.example.com/</script><b>",
        VITE_CLERK_PUBLISHABLE_KEY=clerk_key,
    )
    http = serve(settings)
    answer = http.get("/config.js")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/javascript")
    assert answer.headers["cache-control"] == "no-cache"  # a changed setting reaches the next page load
    prefix = "window.__WORKOPTI_CONFIG__ = "
    assert answer.text.startswith(prefix) and "<" not in answer.text
    config = json.loads(answer.text.removeprefix(prefix).rstrip(";\n"))
    assert config == {"apiUrl": "https://api.example.com/</script><b>", "clerkPublishableKey": clerk_key}
    assert_secured(answer, policy=API_POLICY, hsts=True)
    # The app's page admits Clerk's sign-in script and calls, from the host the key names, and no more.
    page = http.get("/documents")
    assert_secured(page, policy=web_app_policy(SPA_POLICY, clerk_key), hsts=True)
    directives = dict(part.split(" ", 1) for part in page.headers["content-security-policy"].split("; "))
    assert directives["script-src"] == "'self' https://clerk.example.com https://challenges.cloudflare.com"
    assert directives["connect-src"] == "'self' https://clerk.example.com"
    assert directives["frame-ancestors"] == "'none'"
