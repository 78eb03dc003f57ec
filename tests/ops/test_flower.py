"""Flower as the launcher starts it, a real process on the session stack's Redis: open on a laptop,
behind basic auth or OAuth when configured, and refused outside local when neither is."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from cli.stack.processes import ManagedProcess
from cli.stack.redis import free_port
from cli.stack.stack import Stack, flower_spec

StartFlower = Callable[[dict[str, str]], httpx.Client]


@pytest.fixture
def start_flower(stack: Stack, tmp_path: Path) -> Iterator[StartFlower]:
    started: list[tuple[ManagedProcess, httpx.Client]] = []

    def start(extra: dict[str, str]) -> httpx.Client:
        port = free_port()
        env = {name: value for name, value in stack.env.items() if not name.startswith("FLOWER_")}
        process = ManagedProcess(flower_spec(env | extra, "127.0.0.1", port), tmp_path / f"flower-{port}.log")
        process.start()
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
        started.append((process, client))
        deadline = time.monotonic() + 60
        while True:
            assert process.running(), (tmp_path / f"flower-{port}.log").read_text()
            try:
                client.get("/healthcheck")
                return client
            except httpx.TransportError:
                assert time.monotonic() < deadline, "Flower did not start"
                time.sleep(0.2)

    yield start
    for process, client in started:
        client.close()
        process.stop()


def test_basic_auth_refuses_strangers_and_lets_the_operator_in(start_flower: StartFlower) -> None:
    http = start_flower(
        {"ENVIRONMENT": "prod", "FLOWER_BASIC_AUTH": "ops:a-long-flower-password,viewer:another"}
    )
    for path in ("/", "/workers", "/api/workers", "/api/tasks"):
        anonymous = http.get(path)
        assert anonymous.status_code == 401, (path, anonymous.status_code)
        if not path.startswith("/api/"):  # the pages ask the browser for a password; the API just refuses
            assert anonymous.headers["www-authenticate"].lower().startswith("basic")
        assert http.get(path, auth=("ops", "wrong-password")).status_code == 401
        assert http.get(path, auth=("intruder", "a-long-flower-password")).status_code == 401
    dashboard = http.get("/", auth=("ops", "a-long-flower-password"))
    assert dashboard.status_code == 200 and "Flower" in dashboard.text
    workers = http.get("/api/workers", auth=("viewer", "another"))
    assert workers.status_code == 200 and isinstance(workers.json(), dict)


def test_oauth_sends_strangers_to_the_provider_with_our_app(start_flower: StartFlower) -> None:
    http = start_flower({
        "ENVIRONMENT": "showcase",
        "FLOWER_AUTH": r".*@example\.com",
        "FLOWER_AUTH_PROVIDER": "flower.views.auth.GithubLoginHandler",
        "FLOWER_OAUTH2_KEY": "flower-client-id",
        "FLOWER_OAUTH2_SECRET": "flower-client-secret",
        "FLOWER_OAUTH2_REDIRECT_URI": "https://flower.example.com/login",
    })  # fmt: skip
    page = http.get("/workers")
    assert page.status_code == 302 and page.headers["location"].startswith("/login")
    api = http.get("/api/workers")
    assert api.status_code == 302 and api.headers["location"].startswith("/login")
    login = http.get("/login")
    assert login.status_code == 302
    target = urlsplit(login.headers["location"])
    assert (target.netloc, target.path) == ("github.com", "/login/oauth/authorize")
    query = parse_qs(target.query)
    assert query["client_id"] == ["flower-client-id"]
    assert query["redirect_uri"] == ["https://flower.example.com/login"]


def test_without_auth_flower_is_open_on_a_laptop(start_flower: StartFlower) -> None:
    http = start_flower({"ENVIRONMENT": "local"})
    assert http.get("/").status_code == 200


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ENVIRONMENT": "dev"}, "FLOWER_BASIC_AUTH or FLOWER_AUTH"),
        ({"ENVIRONMENT": "prod"}, "FLOWER_BASIC_AUTH or FLOWER_AUTH"),
        ({"ENVIRONMENT": "prod", "FLOWER_BASIC_AUTH": "only-a-user"}, '"user:password"'),
        ({"ENVIRONMENT": "local", "FLOWER_BASIC_AUTH": "ops:"}, '"user:password"'),
        ({"ENVIRONMENT": "prod", "FLOWER_AUTH": ".*@example.com"}, "FLOWER_OAUTH2_KEY"),
    ],
)
def test_the_launcher_refuses_an_unsafe_flower(env: dict[str, str], message: str) -> None:
    with pytest.raises(RuntimeError, match="Flower cannot start") as refused:
        flower_spec({"PATH": "/usr/bin"} | env, "127.0.0.1", 5555)
    assert message in str(refused.value)


def test_credentials_stay_off_the_command_line() -> None:
    spec = flower_spec({"ENVIRONMENT": "prod", "FLOWER_BASIC_AUTH": "ops:hunter2-hunter2"}, "127.0.0.1", 5555)
    assert not any("hunter2" in arg for arg in spec.argv)
    assert spec.env["FLOWER_BASIC_AUTH"] == "ops:hunter2-hunter2"


@pytest.mark.slow
def test_flower_alone_refuses_to_start_open_outside_local() -> None:
    env = {name: value for name, value in os.environ.items() if not name.startswith("FLOWER_")}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "workopti"), "flower", "--port", str(free_port())],
        env=env | {"ENVIRONMENT": "showcase"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert "FLOWER_BASIC_AUTH or FLOWER_AUTH" in result.stderr
