"""The embedded Redis as the launcher starts it: a server that cannot start is reported with what it
printed, even when another Redis answers on its port."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cli.stack.processes import Supervisor
from cli.stack.redis import EmbeddedRedis, free_port
from tests.conftest import _data_dir

# Each starts a real Redis server and waits for it.
pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = _data_dir("redis")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_a_redis_whose_port_is_taken_says_so_rather_than_trusting_the_other(data_dir: Path) -> None:
    port = free_port()
    supervisor = Supervisor(data_dir / "logs")
    try:
        first = EmbeddedRedis(data_dir / "first", port=port)
        first.prepare()
        first.wait_ready(supervisor.start(first.spec()))

        second = EmbeddedRedis(data_dir / "second", port=port)
        second.prepare()
        spec = second.spec()
        spec.name = "second-redis"
        with pytest.raises(RuntimeError) as failure:
            second.wait_ready(supervisor.start(spec))
    finally:
        supervisor.stop()

    message = str(failure.value)
    assert "the embedded Redis stopped while starting" in message and "exit code 1" in message
    assert "Address already in use" in message, message
