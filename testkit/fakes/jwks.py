"""A local stand-in for Clerk's key endpoint: RSA keys generated here, published as a JSON Web Key Set at
`/.well-known/jwks.json`, and a signer that makes session tokens with them, or with anything else a test
needs to see refused (another algorithm, `alg: none`, an HMAC keyed with the public key, a made-up kid)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from testkit.fakes.http import HttpFake, JsonHandler

JWKS_PATH = "/.well-known/jwks.json"
Failure = Literal["error", "hang"]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey

    def public_jwk(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return jwk | {"kid": self.kid, "use": "sig", "alg": "RS256"}

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


def new_signing_key(kid: str | None = None) -> SigningKey:
    return SigningKey(
        kid or f"ins_{uuid.uuid4().hex[:16]}", rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )


class _Handler(JsonHandler):
    server: Any

    def do_GET(self) -> None:
        fake: JwksServer = self.server.fake
        if self.path.split("?")[0] != JWKS_PATH:
            self.reply(404, {"error": "not found"})
            return
        failure = fake.record_fetch()
        if failure == "hang":
            fake.released.wait(timeout=120)
            self.close_connection = True
            return
        if failure == "error":
            self.reply(500, {"errors": [{"code": "internal_error"}]})
            return
        self.reply(200, fake.jwks())


class JwksServer(HttpFake):
    """Publishes its keys over real HTTP; counts every fetch, and can be told to fail or hang."""

    handler = _Handler
    thread_name = "fake-jwks"

    def __init__(self, port: int = 0) -> None:
        super().__init__(port)
        self._lock = threading.Lock()
        self._published: list[SigningKey] = [new_signing_key()]
        self._raw: list[dict[str, Any]] = []
        self._fetches = 0
        self._failure: Failure | None = None
        self.released = threading.Event()
        self.released.set()

    @property
    def jwks_url(self) -> str:
        return f"{self.origin}{JWKS_PATH}"

    @property
    def current(self) -> SigningKey:
        """The key new tokens are signed with: the last one published."""
        with self._lock:
            return self._published[-1]

    @property
    def published(self) -> list[SigningKey]:
        with self._lock:
            return list(self._published)

    @property
    def fetches(self) -> int:
        with self._lock:
            return self._fetches

    def jwks(self) -> dict[str, Any]:
        with self._lock:
            return {"keys": [key.public_jwk() for key in self._published] + self._raw}

    def publish_raw(self, entries: list[dict[str, Any]]) -> None:
        """Also publish these entries as they are: keys of other kinds, uses or algorithms, or broken ones."""
        with self._lock:
            self._raw = list(entries)

    def record_fetch(self) -> Failure | None:
        with self._lock:
            self._fetches += 1
            return self._failure

    def rotate(self, *, keep_previous: bool = False) -> SigningKey:
        """Publish a new key (and sign with it from now on); the old one is dropped unless kept."""
        key = new_signing_key()
        with self._lock:
            self._published = [*self._published, key] if keep_previous else [key]
        return key

    def fail(self, failure: Failure | None) -> None:
        """Answer 500, or accept the connection and never answer, until called with None."""
        with self._lock:
            self._failure = failure
        if failure == "hang":
            self.released.clear()
        else:
            self.released.set()

    def stop(self) -> None:
        self.released.set()
        super().stop()

    def sign(
        self,
        claims: dict[str, Any],
        *,
        key: SigningKey | None = None,
        kid: str | None = None,
        alg: str = "RS256",
        headers: dict[str, Any] | None = None,
        hmac_secret: bytes | None = None,
    ) -> str:
        """A compact JWT with these claims.

        RS*/PS* algorithms sign with `key` (default: the current key) and name `kid` (default: the key's
        id; pass "" for no kid). `none` leaves the signature empty. HS256 signs with `hmac_secret`,
        by default the public key's PEM: the key-confusion attack a verifier must refuse.
        """
        key = key or self.current
        header: dict[str, Any] = {"alg": alg, "typ": "JWT"}
        chosen_kid = key.kid if kid is None else kid
        if chosen_kid:
            header["kid"] = chosen_kid
        header |= headers or {}
        if alg.startswith(("RS", "PS")):
            extra = {name: value for name, value in header.items() if name not in ("alg", "typ")}
            return jwt.encode(claims, key.private_key, algorithm=alg, headers=extra)
        if alg == "none":
            return unsigned(claims, header)
        signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
        if alg == "HS256":
            secret = hmac_secret if hmac_secret is not None else key.public_pem()
            signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
            return f"{signing_input}.{_b64(signature)}"
        raise ValueError(f"the fake cannot sign with {alg}")


def unsigned(claims: dict[str, Any], header: dict[str, Any] | None = None) -> str:
    """A JWT with `alg: none` and an empty signature."""
    header = (header or {}) | {"alg": "none"}
    return f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}."


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
