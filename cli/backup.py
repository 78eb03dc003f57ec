"""Database backups for a laptop or a self-managed server: `workopti db-backup` and `workopti db-restore`.

A backup is a `pg_dump` custom-format archive of the configured database (`DATABASE_URL`, or the
embedded one under `WORKOPTI_DATA_DIR`, started for the occasion when `make run` is not running),
plus, when blobs are kept on local disk, a tar of the blob directory beside it: the files are not in
the database, and rows without their files are of little use. Azure Blob Storage is backed up on its
own (soft delete, versioning); see docs/database-operations.md.

The client tools must match the server's major version (an older `pg_dump` refuses a newer server, and
a newer one writes archives an older `pg_restore` cannot read), so they are chosen by asking the server.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from cli.stack.postgres import EmbeddedPostgres, postgres_binaries
from cli.stack.processes import Supervisor
from shared.config import Settings

BACKUP_DIR = Path("backups")
_TOOL_VERSION = re.compile(r"\(PostgreSQL\) (\d+)")
# `pg_restore --list` lines: "<id>; <catalog oid> <oid> <type> <schema> <name> <owner>".
_EXTENSION_ENTRY = re.compile(r"^\d+; \d+ \d+ EXTENSION - (\S+)")
_EXTENSION_COMMENT = re.compile(r"^\d+; \d+ \d+ COMMENT - EXTENSION (\S+)")


class BackupError(RuntimeError):
    """A backup or restore that cannot go ahead; the message says what to do."""


@dataclass(frozen=True)
class Database:
    """Where to connect, with the password kept apart: it travels to the tools in PGPASSWORD, never
    on a command line where any user of the machine could read it."""

    params: dict[str, str]
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> Database:
        libpq = re.sub(r"^postgres(?:ql)?\+\w+://", "postgresql://", url)
        params = {key: str(value) for key, value in conninfo_to_dict(libpq).items()}
        return cls(params, params.pop("password", None))

    @property
    def conninfo(self) -> str:
        return make_conninfo(**self.params)

    @property
    def identity(self) -> tuple[str, str, str]:
        """Which database this is, however the URL spelled it."""
        return (
            self.params.get("host", "localhost"),
            self.params.get("port", "5432"),
            self.params.get("dbname", self.params.get("user", "")),
        )

    def describe(self) -> str:
        host, port, name = self.identity
        return f"database {name!r} on {host}:{port}"

    def tool_env(self) -> dict[str, str]:
        env = {**os.environ}
        if self.password is not None:
            env["PGPASSWORD"] = self.password
        return env

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.conninfo, password=self.password, connect_timeout=10, autocommit=True)

    def server_major(self) -> int:
        try:
            with self.connect() as conn:
                return conn.info.server_version // 10000
        except psycopg.OperationalError as exc:
            raise BackupError(f"cannot connect to the {self.describe()}: {exc}") from exc


@dataclass(frozen=True)
class BackupFiles:
    dump: Path
    blobs: Path | None


def blobs_beside(dump: Path) -> Path:
    return dump.with_name(dump.name.removesuffix(".dump") + ".blobs.tar")


def configured_url(settings: Settings) -> str:
    """DATABASE_URL, or the embedded database's URL (whether or not it is running)."""
    return settings.db.url or EmbeddedPostgres(settings.app.data_dir).url


@contextlib.contextmanager
def available(settings: Settings, url: str) -> Iterator[None]:
    """Makes sure the database at `url` answers: the embedded one is started for the occasion when
    `make run` is not running, and stopped again afterwards."""
    if settings.db.url or url != configured_url(settings):
        yield
        return
    server = EmbeddedPostgres(settings.app.data_dir)
    if not (server.pgdata / "PG_VERSION").exists():
        raise BackupError(f"there is no embedded database under {server.pgdata}; run `make run` first")
    if _answers(Database.from_url(url)):  # `make run` is running
        yield
        return
    server.prepare()
    supervisor = Supervisor(settings.app.data_dir.resolve() / "logs")
    supervisor.start(server.spec())
    try:
        server.wait_ready()
        server.ensure_database()
        yield
    finally:
        supervisor.stop()


def _answers(database: Database) -> bool:
    try:
        with database.connect():
            return True
    except psycopg.OperationalError:
        return False


def find_tool(name: str, major: int, extra_dirs: list[Path]) -> Path:
    """The first `name` whose major version is the server's: given directories first, then the
    bundled PostgreSQL 16 of the embedded database, Debian's per-version directories, then PATH."""
    dirs = [*extra_dirs, Path(f"/usr/lib/postgresql/{major}/bin")]
    with contextlib.suppress(RuntimeError):
        dirs.insert(len(extra_dirs), postgres_binaries())
    dirs += [Path(entry) for entry in os.environ.get("PATH", "").split(os.pathsep) if entry]
    seen: list[str] = []
    for directory in dirs:
        path = directory / name
        if not path.is_file() or not os.access(path, os.X_OK):
            continue
        version = subprocess.run([str(path), "--version"], capture_output=True, text=True, check=False).stdout
        match = _TOOL_VERSION.search(version)
        if match and int(match.group(1)) == major:
            return path
        seen.append(f"{path} ({version.strip() or 'unknown version'})")
    found = f"; found only {', '.join(seen)}" if seen else ""
    raise BackupError(
        f"no {name} for PostgreSQL {major}{found}. Install postgresql-client-{major} or pass --pg-bin DIR."
    )


def _run(argv: list[str], database: Database) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(argv, env=database.tool_env(), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(argv[0]).name} failed (exit {result.returncode}): {result.stderr.strip()}")
    return result


def backup(
    settings: Settings, output: Path | None = None, *, pg_bin: list[Path] | None = None, blobs: bool = True
) -> BackupFiles:
    """Dump the configured database to `output` (default backups/workopti-<UTC time>.dump) and, for a
    local blob store, tar its directory beside the dump."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    dump = output or BACKUP_DIR / f"workopti-{stamp}.dump"
    dump.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = dump.with_name(dump.name + ".partial")  # a failed dump never looks like a finished one
    url = configured_url(settings)
    database = Database.from_url(url)
    with available(settings, url):
        pg_dump = find_tool("pg_dump", database.server_major(), pg_bin or [])
        # Every document's text is in here: readable by its owner only.
        os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
        try:
            _run(
                [str(pg_dump), "--format=custom", f"--file={partial}", f"--dbname={database.conninfo}"],
                database,
            )
            partial.replace(dump)
        finally:
            partial.unlink(missing_ok=True)
    archive = None
    if blobs and not settings.storage.uses_azure and settings.blob_dir.is_dir():
        archive = blobs_beside(dump)
        _tar(settings.blob_dir, archive)
    return BackupFiles(dump, archive)


def _tar(directory: Path, archive: Path) -> None:
    partial = archive.with_name(archive.name + ".partial")
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    try:
        with tarfile.open(partial, "w") as tar:
            tar.add(directory, arcname=".")
        partial.replace(archive)
    finally:
        partial.unlink(missing_ok=True)


def restore(
    settings: Settings,
    dump: Path,
    *,
    target_url: str | None = None,
    allow_other_database: bool = False,
    pg_bin: list[Path] | None = None,
    blobs: bool = True,
) -> BackupFiles:
    """Replace the contents of the configured database (or, with `allow_other_database`, `target_url`)
    with `dump`, in one transaction: a restore that fails leaves the database as it was."""
    configured = configured_url(settings)
    url = target_url or configured
    database = Database.from_url(url)
    other = database.identity != Database.from_url(configured).identity
    if other and not allow_other_database:
        raise BackupError(
            f"refusing to restore into the {database.describe()}: it is not the configured "
            f"{Database.from_url(configured).describe()}. Pass --allow-other-database if that is intended."
        )
    with available(settings, url):
        pg_restore = find_tool("pg_restore", database.server_major(), pg_bin or [])
        listing = _run([str(pg_restore), "--list", str(dump)], database).stdout
        extensions, kept = _without_extensions(listing)
        with database.connect() as conn:
            # Extensions stay installed (dropping `vector` would fail on a managed server, where only
            # allow-listed extensions are created, and would change its type under running services).
            for name in extensions:
                conn.execute(f'CREATE EXTENSION IF NOT EXISTS "{name}"')
        with tempfile.NamedTemporaryFile("w", suffix=".list", delete=False) as entries:
            entries.write(kept)
        try:
            _run(
                [str(pg_restore), "--clean", "--if-exists", "--no-owner", "--single-transaction",
                 "--exit-on-error", f"--use-list={entries.name}", f"--dbname={database.conninfo}", str(dump)],
                database,
            )  # fmt: skip
        finally:
            os.unlink(entries.name)
    archive = blobs_beside(dump)
    restored = None
    if blobs and not other and not settings.storage.uses_azure and archive.is_file():
        _untar(archive, settings.blob_dir)
        restored = archive
    return BackupFiles(dump, restored)


def _without_extensions(listing: str) -> tuple[list[str], str]:
    extensions: list[str] = []
    kept: list[str] = []
    for line in listing.splitlines():
        if match := _EXTENSION_ENTRY.match(line):
            extensions.append(match.group(1))
        elif not _EXTENSION_COMMENT.match(line):
            kept.append(line)
    return extensions, "\n".join(kept) + "\n"


def _untar(archive: Path, directory: Path) -> None:
    """Put the archived files back; files written since the backup stay (nothing refers to them)."""
    directory.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(directory, filter="data")  # no absolute paths, links out or device files
