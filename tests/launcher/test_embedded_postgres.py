"""The embedded PostgreSQL as the launcher runs it: under an account of its own when the launcher is root,
and, when it cannot start, an error that says what initdb or the server printed."""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path

import psutil
import psycopg
import pytest

from cli.stack.postgres import SYSTEM_GROUP, SYSTEM_USER, EmbeddedPostgres
from cli.stack.processes import Supervisor
from cli.stack.stack import Stack, StackOptions
from tests.conftest import _data_dir

# Each starts a real PostgreSQL server and waits for it.
pytestmark = pytest.mark.slow


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = _data_dir("pg")
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _expected_owner() -> tuple[int, int]:
    if os.geteuid() != 0:
        return os.getuid(), os.getgid()
    return pwd.getpwnam(SYSTEM_USER).pw_uid, grp.getgrnam(SYSTEM_GROUP).gr_gid


def _supplementary_groups(pid: int) -> set[int]:
    line = next(
        line for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Groups:")
    )
    return {int(gid) for gid in line.split()[1:]}


def test_the_server_and_its_files_belong_to_its_own_user_and_group(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir, fast_unsafe=True)
    server.prepare()
    if os.geteuid() == 0:
        # A cluster from before the server had a group of its own: root's group on every file.
        uid = pwd.getpwnam(SYSTEM_USER).pw_uid
        for path in [server.pgdata, *server.pgdata.rglob("*")]:
            os.chown(path, uid, 0, follow_symlinks=False)
        server.prepare()
    uid, gid = _expected_owner()
    supervisor = Supervisor(data_dir / "logs")
    try:
        process = supervisor.start(server.spec())
        server.wait_ready(process)
        with psycopg.connect(server._admin_conninfo(), autocommit=True) as connection:
            connection.execute("CREATE TABLE written_by_the_server (n int)")
            connection.execute("INSERT INTO written_by_the_server SELECT generate_series(1, 1000)")
            connection.execute("CHECKPOINT")

        postmaster = psutil.Process(process.pid)
        processes = [postmaster, *postmaster.children(recursive=True)]
        assert len(processes) > 3  # the postmaster and its checkpointer, writers, backends...
        for member in processes:
            with contextlib.suppress(psutil.NoSuchProcess, FileNotFoundError):  # a backend that just ended
                assert set(member.uids()) == {uid}, member.cmdline()
                assert set(member.gids()) == {gid}, member.cmdline()
                assert _supplementary_groups(member.pid) <= {gid}, member.cmdline()
    finally:
        supervisor.stop()

    # Everything initdb and the server wrote, once it is stopped and nothing changes any more.
    wrong = [
        str(path)
        for path in [server.pgdata, *server.pgdata.rglob("*")]
        if (path.lstat().st_uid, path.lstat().st_gid) != (uid, gid)
    ]
    assert wrong == []
    assert stat.S_IMODE(server.pgdata.stat().st_mode) == 0o700
    assert (server.socket_dir.stat().st_uid, server.socket_dir.stat().st_gid) == (uid, gid)
    if os.geteuid() == 0:
        assert gid != 0 and pwd.getpwnam(SYSTEM_USER).pw_gid == gid


def test_a_failing_initdb_says_what_it_printed(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    server.pgdata.mkdir(mode=0o700)
    (server.pgdata / "left-behind.txt").write_text("not a cluster")  # initdb wants an empty directory

    with pytest.raises(RuntimeError) as failure:
        server.prepare()

    message = str(failure.value)
    assert "initdb" in message and "exit code 1" in message
    assert "exists but is not empty" in message, message


def test_a_server_that_cannot_start_says_what_it_printed(data_dir: Path) -> None:
    EmbeddedPostgres(data_dir).prepare()
    (data_dir / "postgres" / "PG_VERSION").write_text("15\n")  # a cluster this server cannot open
    stack = Stack(
        StackOptions(data_dir=data_dir, flower_port=None, env={"DATABASE_URL": "", "REDIS_URL": ""})
    )

    with pytest.raises(RuntimeError) as failure:
        stack.start(timeout=60)

    message = str(failure.value)
    assert "PostgreSQL server stopped while starting" in message and "exit code 1" in message
    assert "database files are incompatible with server" in message, message
    assert not stack.supervisor.processes["postgres"].running()
    assert "redis" not in stack.supervisor.processes  # nothing started after the failure
