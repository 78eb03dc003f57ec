"""Azurite, the Azure Storage emulator, serving the Blob REST API on a free local port.

    with Azurite() as azurite:                # or: azurite = Azurite().start(); ...; azurite.stop()
        BlobServiceClient.from_connection_string(azurite.connection_string)

It runs the npm package pinned in testkit/azurite (installed by `make test`), with its data in a temporary
directory that is removed on stop. `Azurite(https=True, oauth=True)` serves HTTPS with a self-signed
certificate (`ca_file`) and accepts bearer tokens; `ManagedIdentityEndpoint` hands out such tokens the
way App Service's managed identity endpoint does, so DefaultAzureCredential runs unchanged against it.
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import parse_qs, urlsplit

from testkit.fakes.http import POLL_SECONDS, JsonHandler

ROOT = Path(__file__).resolve().parents[1] / "azurite"
BINARY = ROOT / "node_modules" / ".bin" / "azurite-blob"

# The emulator's documented development account; its key is public and the same everywhere.
ACCOUNT = "devstoreaccount1"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

_START_TIMEOUT_SECONDS = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Azurite:
    """One Azurite blob service process; `start()` returns once it accepts connections."""

    host = "127.0.0.1"

    def __init__(self, *, https: bool = False, oauth: bool = False, binary: Path = BINARY) -> None:
        if oauth and not https:
            raise ValueError("Azurite accepts bearer tokens only over HTTPS")
        self.binary = binary
        self.https = https
        self.oauth = oauth
        self.port = 0
        self.location: Path | None = None
        self.ca_file: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    @property
    def account_url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}/{ACCOUNT}"

    @property
    def connection_string(self) -> str:
        return (
            f"DefaultEndpointsProtocol={self.scheme};AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={self.account_url};"
        )

    def start(self) -> Self:
        if self._process is not None:
            raise RuntimeError("Azurite is already running")
        if not self.binary.exists():
            raise RuntimeError(
                f"Azurite is not installed ({self.binary} is missing): run `make test`, which installs it "
                "with `npm ci --prefix testkit/azurite`"
            )
        self.location = Path(tempfile.mkdtemp(prefix="workopti-azurite-"))
        try:
            if self.https:
                self.ca_file = _self_signed_certificate(self.location)
            # A port found free may be taken before Azurite binds it: try a few.
            for _ in range(3):
                self.port = _free_port()
                if self._launch():
                    return self
            raise RuntimeError(f"Azurite did not start:\n{self._log_tail()}")
        except BaseException:
            self.stop()
            raise

    def _launch(self) -> bool:
        assert self.location is not None
        argv = [
            str(self.binary),
            "--blobHost", self.host,
            "--blobPort", str(self.port),
            "--location", str(self.location / "data"),
            "--skipApiVersionCheck",
            "--loose",
            "--silent",
            "--disableTelemetry",
        ]  # fmt: skip
        if self.https:
            argv += ["--cert", str(self.location / "cert.pem"), "--key", str(self.location / "key.pem")]
        if self.oauth:
            argv += ["--oauth", "basic"]
        with (self.location / "azurite.log").open("ab") as log:
            self._process = subprocess.Popen(
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # AZURITE_ACCOUNTS would replace the development account.
                env={k: v for k, v in os.environ.items() if k != "AZURITE_ACCOUNTS"},
                start_new_session=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.05)
        self._terminate()
        raise RuntimeError(f"Azurite did not accept connections within {_START_TIMEOUT_SECONDS:.0f}s")

    def stop(self) -> None:
        self._terminate()
        if self.location is not None:
            shutil.rmtree(self.location, ignore_errors=True)
            self.location = None
            self.ca_file = None

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    def _log_tail(self) -> str:
        if self.location is None:
            return ""
        try:
            return (self.location / "azurite.log").read_text(errors="replace")[-2000:]
        except FileNotFoundError:
            return ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


def _self_signed_certificate(directory: Path) -> Path:
    """cert.pem and key.pem for 127.0.0.1 and localhost in `directory`; returns the certificate, which
    is its own CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "azurite.test")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert = directory / "cert.pem"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert


class ManagedIdentityEndpoint:
    """App Service's managed identity endpoint (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, API version
    2019-08-01) on a local port: a GET with the right `X-IDENTITY-HEADER` and a `resource` answers
    `{access_token, expires_on, resource, token_type}`. The tokens are unsigned JWTs with the claims
    Azurite's `--oauth basic` checks (issuer, audience, lifetime) and an object and tenant id, which
    Azurite puts into user delegation keys."""

    def __init__(self) -> None:
        self.header = uuid.uuid4().hex
        self.object_id = str(uuid.uuid4())
        self.tenant_id = str(uuid.uuid4())
        self.issued: list[str] = []
        owner = self

        class Handler(JsonHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                if self.headers.get("X-IDENTITY-HEADER") != owner.header:
                    self.reply(401, {"statusCode": 401, "message": "X-IDENTITY-HEADER is missing or wrong"})
                elif query.get("api-version") != ["2019-08-01"] or not query.get("resource"):
                    self.reply(400, {"statusCode": 400, "message": "api-version and resource are required"})
                else:
                    self.reply(200, owner._token(query["resource"][0]))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/msi/token"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(POLL_SECONDS,), daemon=True)

    def _token(self, resource: str) -> dict[str, object]:
        now = int(time.time())
        claims = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now - 60,
            "nbf": now - 60,
            "exp": now + 3600,
            "oid": self.object_id,
            "tid": self.tenant_id,
            "sub": self.object_id,
        }
        token = ".".join(
            _b64url(json.dumps(part).encode()) for part in ({"alg": "RS256", "typ": "JWT"}, claims)
        ) + "." + _b64url(b"unsigned")  # fmt: skip
        self.issued.append(token)
        return {
            "access_token": token,
            "expires_on": str(now + 3600),
            "resource": resource,
            "token_type": "Bearer",
        }

    @property
    def environment(self) -> dict[str, str]:
        """The variables App Service sets, which select this endpoint in DefaultAzureCredential."""
        return {"IDENTITY_ENDPOINT": self.url, "IDENTITY_HEADER": self.header}

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


__all__ = ["ACCOUNT", "ACCOUNT_KEY", "Azurite", "ManagedIdentityEndpoint"]
