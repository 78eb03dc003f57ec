"""Security headers and CORS for every response.

Both wrap the whole application, outside Starlette's own error handling: the 500 problem, CORS
preflight answers, 404s, 304s, health checks, the single-page app and streamed downloads all leave
with the same headers. Header values a route sets itself are kept.

- `Content-Security-Policy`: HTML (the single-page app) gets `CONTENT_SECURITY_POLICY`, with Clerk's
  hosts added when the app signs in through Clerk (api/csp.py); everything else
  (JSON, problems, downloads, static assets) gets a policy that allows nothing, so a response that a
  browser is somehow made to render as a page can run no script and be framed by no one.
- `/docs` and `/redoc` load Swagger UI and ReDoc from a CDN with an inline start-up script. They are
  served in local and dev only (the environment's profile, shared/config/environments.py), with a policy that allows exactly that CDN on exactly those paths;
  elsewhere they are not served at all (a third-party script on the API's origin could read whatever
  a same-origin web app keeps there), while the schema stays at `/openapi.json`.
- `Referrer-Policy: no-referrer`: links in the app carry document ids and search terms; nothing we
  serve needs the referrer, so no other site is told where a visitor came from.
- HSTS outside local and dev only (a developer's `http://localhost` must keep working).
- CORS from `CORS_ALLOWED_ORIGINS`: any origin in local and dev when none is set, otherwise only the
  origins listed. Never with credentials: the API reads a bearer token, not cookies.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from fastapi import FastAPI
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.csp import web_app_policy
from api.problems import problem
from shared.config import Settings

API_POLICY = "default-src 'none'; frame-ancestors 'none'"
DOCS_POLICY = (
    "default-src 'none'; script-src 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src blob:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
PERMISSIONS_POLICY = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=()"
CORS_METHODS = ("GET", "POST", "PUT", "DELETE")
# Last-Event-ID: a browser resuming the event stream from another origin.
CORS_REQUEST_HEADERS = ("Authorization", "Content-Type", "If-None-Match", "Idempotency-Key", "Last-Event-ID")
CORS_EXPOSED_HEADERS = ("ETag", "Location", "Retry-After", "Content-Disposition")
CORS_MAX_AGE_SECONDS = 600


def install(app: FastAPI, settings: Settings) -> None:
    """Wrap `app` in the security-header and CORS middleware; drop the docs pages outside local/dev."""
    rules = settings.profile
    docs = {path for path in (app.docs_url, app.swagger_ui_oauth2_redirect_url, app.redoc_url) if path}
    if not rules.api_docs:
        app.router.routes[:] = [
            route for route in app.router.routes if getattr(route, "path", None) not in docs
        ]
        docs = set()
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": PERMISSIONS_POLICY,
    }
    if rules.hsts:
        headers["Strict-Transport-Security"] = (
            f"max-age={settings.edge.hsts_max_age_seconds}; includeSubDomains"
        )
    origins = cors_origins(settings)
    try:
        html_policy = web_app_policy(
            settings.edge.content_security_policy, settings.server.web_clerk_publishable_key
        )
    except ValueError as exc:
        raise RuntimeError(str(exc)) from exc

    # Starlette builds its stack as error handler -> user middleware -> routes, so middleware added the
    # usual way never sees the 500 response; these wrap the stack it builds instead.
    build_stack: Callable[[], ASGIApp] = app.build_middleware_stack

    def build_with_edge() -> ASGIApp:
        cors = _ProblemCors(
            build_stack(),
            allow_origins=origins,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            allow_credentials=False,
            max_age=CORS_MAX_AGE_SECONDS,
        )
        return SecurityHeaders(cors, headers, html_policy=html_policy, docs_paths=docs)

    app.build_middleware_stack = build_with_edge  # type: ignore[method-assign]


def cors_origins(settings: Settings) -> list[str]:
    """The origins allowed to call the API from a browser; refuses `*` outside local and dev."""
    origins = [origin.rstrip("/") for origin in settings.edge.cors_origins]
    if settings.profile.permissive_cors:
        return origins or ["*"]
    if "*" in origins:
        raise RuntimeError(
            f"CORS_ALLOWED_ORIGINS=* is refused when ENVIRONMENT={settings.app.environment.value}; "
            "list the web app's origins"
        )
    return origins


class SecurityHeaders:
    """Adds `headers` and a Content-Security-Policy to every HTTP response that does not set its own."""

    def __init__(
        self, app: ASGIApp, headers: dict[str, str], *, html_policy: str, docs_paths: Sequence[str] | set[str]
    ) -> None:
        self.app = app
        self.headers = list(headers.items())
        self.html_policy = html_policy
        self.docs_paths = frozenset(docs_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in self.docs_paths

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", ()))
                headers = MutableHeaders(scope=message)
                for name, value in self.headers:
                    headers.setdefault(name, value)
                html = headers.get("content-type", "").startswith("text/html")
                policy = DOCS_POLICY if docs and html else self.html_policy if html else API_POLICY
                headers.setdefault("Content-Security-Policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _ProblemCors(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered as a problem like every other client error."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        reason = bytes(response.body).decode("utf-8", "replace")
        return problem(
            response.status_code,
            "cors_preflight_refused",
            "Cross-origin request refused",
            f"{reason}.",
            headers={name: value for name, value in response.headers.items() if name.lower() == "vary"},
        )
