"""What `ENVIRONMENT` decides on its own: one row per environment, read by the edge, auth and logging.

Explicit settings override a row where that is safe (`DEBUG`, `LOG_LEVEL`, `CORS_ALLOWED_ORIGINS`);
`Settings.check_startup()` refuses the combinations that are not (debug or dev sign-in on a public
environment, a wildcard origin, the placeholder secret).
"""

from __future__ import annotations

from dataclasses import dataclass

from shared.config.base import Environment, LogFormat


@dataclass(frozen=True)
class EnvironmentProfile:
    # Any origin may call the API when CORS_ALLOWED_ORIGINS is empty, and "*" may be listed.
    permissive_cors: bool
    # Strict-Transport-Security on every response: off where a developer's http://localhost must work.
    hsts: bool
    # /docs and /redoc load third-party scripts on the API's origin, so public environments do not serve them.
    api_docs: bool
    # AUTH_MODE=dev signs anyone in as anyone: never where strangers can reach the API.
    dev_auth_allowed: bool
    # The placeholder AUTH_SECRET is public (it is in the source); only a laptop may use it.
    placeholder_secret_allowed: bool
    # DEBUG's default, and whether DEBUG=true is accepted at all (500 problems then carry the traceback).
    debug: bool
    debug_allowed: bool
    # LOG_LEVEL's and LOG_FORMAT's defaults: people read a laptop's logs, collectors read the rest.
    log_level: str
    log_format: LogFormat
    # Flower without FLOWER_BASIC_AUTH or FLOWER_AUTH (it can revoke tasks and shut workers down).
    open_flower_allowed: bool
    # Webhooks to http:// and to loopback or private addresses: a laptop's own receivers, nowhere else.
    private_webhooks_allowed: bool


PROFILES: dict[Environment, EnvironmentProfile] = {
    Environment.LOCAL: EnvironmentProfile(
        permissive_cors=True, hsts=False, api_docs=True, dev_auth_allowed=True,
        placeholder_secret_allowed=True, debug=True, debug_allowed=True, log_level="INFO", log_format="text",
        open_flower_allowed=True, private_webhooks_allowed=True,
    ),
    Environment.DEV: EnvironmentProfile(
        permissive_cors=True, hsts=False, api_docs=True, dev_auth_allowed=True,
        placeholder_secret_allowed=False, debug=True, debug_allowed=True, log_level="DEBUG", log_format="json",
        open_flower_allowed=False, private_webhooks_allowed=False,
    ),
    Environment.SHOWCASE: EnvironmentProfile(
        permissive_cors=False, hsts=True, api_docs=False, dev_auth_allowed=False,
        placeholder_secret_allowed=False, debug=False, debug_allowed=False, log_level="INFO", log_format="json",
        open_flower_allowed=False, private_webhooks_allowed=False,
    ),
    Environment.PROD: EnvironmentProfile(
        permissive_cors=False, hsts=True, api_docs=False, dev_auth_allowed=False,
        placeholder_secret_allowed=False, debug=False, debug_allowed=False, log_level="INFO", log_format="json",
        open_flower_allowed=False, private_webhooks_allowed=False,
    ),
}  # fmt: skip


def profile(environment: Environment) -> EnvironmentProfile:
    return PROFILES[environment]
