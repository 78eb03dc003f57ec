"""PostgreSQL 16 with pgvector from the `pgserver` package, run in the foreground under our supervisor."""

from __future__ import annotations

import grp
import hashlib
import importlib.util
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg

from cli.stack.output import tail
from cli.stack.processes import ManagedProcess, ServiceSpec

DATABASE_NAME = "workopti"
SUPERUSER = "postgres"
# PostgreSQL refuses to run as root; when we are root it runs as this system user and group of its own,
# without root's supplementary groups, so its files and processes belong to neither root nor anyone else.
SYSTEM_USER = "workopti-pg"
SYSTEM_GROUP = "workopti-pg"
_SOCKET_PATH_MAX = 100  # sun_path is 108 bytes on Linux, minus ".s.PGSQL.NNNNN"


def postgres_binaries() -> Path:
    # Located, not imported: importing pgserver starts its own server machinery.
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded PostgreSQL needs the 'pgserver' package (pip install '.[embedded]')")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, *, port: int = 5432, fast_unsafe: bool = False) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self.port = port
        # fsync off is for throwaway test databases only: a crash can lose committed data.
        self.fast_unsafe = fast_unsafe
        self.bin = postgres_binaries()
        self.user = SYSTEM_USER if os.geteuid() == 0 else None
        self.group = SYSTEM_GROUP if self.user else None
        self.socket_dir = self._socket_dir()

    def _socket_dir(self) -> Path:
        preferred = self.pgdata.parent / "run"
        if len(str(preferred)) + 15 <= _SOCKET_PATH_MAX:
            return preferred
        digest = hashlib.sha1(str(self.pgdata).encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"workopti-pg-{digest}"

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@/{DATABASE_NAME}?host={self.socket_dir}&port={self.port}"

    def _admin_conninfo(self) -> str:
        return f"host={self.socket_dir} port={self.port} user={SUPERUSER} dbname=postgres"

    def prepare(self) -> None:
        """Create the system user and group, the data directory and the cluster, as needed."""
        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self.user and self.group:
            uid, gid = _ensure_system_account(self.user, self.group)
            # A cluster made before the server had a group of its own has root's group on its files.
            _own_tree(self.pgdata, uid, gid)
            os.chown(self.socket_dir, uid, gid)
            _ensure_traversable(self.pgdata, self.user)
            _ensure_traversable(self.socket_dir, self.user)
        # PostgreSQL refuses a data directory others can read; clients need only to reach the socket.
        self.pgdata.chmod(0o700)
        self.socket_dir.chmod(0o755)
        if not (self.pgdata / "PG_VERSION").exists():
            initdb = subprocess.run(
                [str(self.bin / "initdb"), "-D", str(self.pgdata), "-U", SUPERUSER, "--auth=trust",
                 "--encoding=UTF8", "--locale=C.UTF-8"],
                capture_output=True, user=self.user, group=self.group,
                extra_groups=[] if self.user else None,
            )  # fmt: skip
            if initdb.returncode != 0:
                raise RuntimeError(
                    f"initdb could not create the embedded PostgreSQL cluster in {self.pgdata} "
                    f"(exit code {initdb.returncode}). It printed:\n{tail(initdb.stdout + initdb.stderr)}"
                )
        # A postmaster.pid left by a killed server would stop the new one from starting.
        pid_file = self.pgdata / "postmaster.pid"
        if pid_file.exists() and not _pid_alive(pid_file):
            pid_file.unlink()

    def spec(self) -> ServiceSpec:
        settings = [
            "-c", "listen_addresses=",
            "-c", f"unix_socket_directories={self.socket_dir}",
            "-c", "max_connections=200",
            "-c", "shared_buffers=128MB",
            "-c", "logging_collector=off",
        ]  # fmt: skip
        if self.fast_unsafe:
            settings += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return ServiceSpec(
            name="postgres",
            argv=[str(self.bin / "postgres"), "-D", str(self.pgdata), "-p", str(self.port), *settings],
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8"},
            # SIGINT is PostgreSQL's fast shutdown: roll back open transactions and stop cleanly.
            stop_signal=signal.SIGINT,
            stop_timeout=30,
            user=self.user,
            group=self.group,
        )

    def wait_ready(self, process: ManagedProcess | None = None, timeout: float = 60) -> None:
        """Until the server accepts connections. Given the server's `process`, a server that exits
        first is reported at once, with what it printed."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            if process is not None and not process.running():
                raise RuntimeError(process.failure("the embedded PostgreSQL server stopped while starting"))
            try:
                with psycopg.connect(self._admin_conninfo(), connect_timeout=2):
                    return
            except psycopg.OperationalError as exc:
                last = exc
                time.sleep(0.1)
        problem = f"the embedded PostgreSQL server did not accept connections within {timeout:.0f}s ({last})"
        raise RuntimeError(process.failure(problem) if process is not None else problem)

    def ensure_database(self) -> None:
        with psycopg.connect(self._admin_conninfo(), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def tool(self, name: str) -> Path:
        """Path of a bundled client tool (pg_dump, psql, ...)."""
        path = self.bin / name
        if not path.exists():
            raise FileNotFoundError(path)
        return path


def _pid_alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _ensure_system_account(user: str, group: str) -> tuple[int, int]:
    """The system group, and the system user whose primary group it is; (uid, gid)."""
    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        _run_admin("groupadd", "--system", group)
        gid = grp.getgrnam(group).gr_gid
    try:
        entry = pwd.getpwnam(user)
    except KeyError:
        _run_admin(
            "useradd", "--system", "--gid", group, "--no-create-home", "--shell", "/usr/sbin/nologin", user
        )
        entry = pwd.getpwnam(user)
    if entry.pw_gid != gid:  # made by an older launcher, or by a system without per-user groups
        _run_admin("usermod", "--gid", group, user)
    return entry.pw_uid, gid


def _run_admin(tool: str, *args: str) -> None:
    done = subprocess.run([shutil.which(tool) or f"/usr/sbin/{tool}", *args], capture_output=True)
    if done.returncode != 0:
        raise RuntimeError(
            f"could not set up the embedded PostgreSQL's system account: {tool} {' '.join(args)} exited "
            f"with code {done.returncode}. It printed:\n{tail(done.stdout + done.stderr)}"
        )


def _own_tree(root: Path, uid: int, gid: int) -> None:
    """Give `root` and everything under it to uid:gid, touching only what differs."""
    for directory, subdirectories, files in os.walk(root):
        for path in [directory, *(os.path.join(directory, name) for name in (*subdirectories, *files))]:
            info = os.lstat(path)
            if (info.st_uid, info.st_gid) != (uid, gid):
                os.chown(path, uid, gid, follow_symlinks=False)


def _ensure_traversable(path: Path, user: str) -> None:
    """The server's user must reach its directory; say which parent blocks it rather than chmod it."""
    for parent in reversed(path.parents):
        mode = parent.stat().st_mode
        if not mode & 0o001:
            raise RuntimeError(
                f"{parent} is not searchable by other users, so the embedded PostgreSQL (running as "
                f"'{user}' because this process is root) cannot reach {path}. Run `chmod o+x {parent}` "
                "or choose a WORKOPTI_DATA_DIR under a searchable directory."
            )
