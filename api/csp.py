"""The web app's Content-Security-Policy: `CONTENT_SECURITY_POLICY`, widened for Clerk when the app signs
in through Clerk.

Clerk's sign-in script and the calls it makes come from the instance's Frontend API host, which the
publishable key carries (`pk_test_` or `pk_live_` + base64 of `<host>$`); avatars come from
img.clerk.com, bot protection from Cloudflare's challenge host, and Clerk starts workers from blob:
URLs. Only those sources are added, and only to the directives that need them, so a web app without
Clerk keeps the strict policy.
"""

from __future__ import annotations

import base64
import binascii
import re

CLERK_IMAGES = "https://img.clerk.com"
CLOUDFLARE_CHALLENGES = "https://challenges.cloudflare.com"
_HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$")


def clerk_frontend_api(publishable_key: str) -> str:
    """The Frontend API host a Clerk publishable key names; ValueError when it is not such a key."""
    kind, _, encoded = publishable_key.strip().removeprefix("pk_").partition("_")
    if not publishable_key.startswith("pk_") or kind not in ("test", "live") or not encoded:
        raise ValueError("VITE_CLERK_PUBLISHABLE_KEY is not a Clerk publishable key (pk_test_… or pk_live_…)")
    try:
        decoded = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("VITE_CLERK_PUBLISHABLE_KEY does not carry a Clerk Frontend API host") from exc
    host = decoded.removesuffix("$").lower()
    if not decoded.endswith("$") or not _HOST.match(host):
        raise ValueError("VITE_CLERK_PUBLISHABLE_KEY does not carry a Clerk Frontend API host")
    return host


def web_app_policy(policy: str, clerk_publishable_key: str | None) -> str:
    """The policy for the app's HTML; raises ValueError at start-up for a malformed Clerk key."""
    if not clerk_publishable_key:
        return policy
    frontend_api = f"https://{clerk_frontend_api(clerk_publishable_key)}"
    return _widen(
        policy,
        {
            "script-src": [frontend_api, CLOUDFLARE_CHALLENGES],
            "connect-src": [frontend_api],
            "img-src": [CLERK_IMAGES],
            "frame-src": [CLOUDFLARE_CHALLENGES],
            "worker-src": ["'self'", "blob:"],
            "style-src": ["'unsafe-inline'"],
        },
    )


def _widen(policy: str, additions: dict[str, list[str]]) -> str:
    directives: dict[str, list[str]] = {}
    for part in policy.split(";"):
        if part.strip():
            name, *sources = part.split()
            directives.setdefault(name.lower(), sources)
    fallback = directives.get("default-src", [])
    for name, sources in additions.items():
        # A directive the policy leaves out falls back to default-src; keep that, then add.
        current = directives.setdefault(name, [s for s in fallback if name != "worker-src"])
        if "'none'" in current:  # 'none' with any source beside it is invalid
            current.remove("'none'")
        current.extend(source for source in sources if source not in current)
    return "; ".join(" ".join([name, *sources]) for name, sources in directives.items())
