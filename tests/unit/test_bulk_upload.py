"""Uploading many files: which files a folder gives, their hashes, how they are batched and settled,
which refusals are retried, and the uploader's bound on requests in flight, against a stand-in client."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from cli.client import ApiError
from cli.uploader import (
    Failure,
    Item,
    Outcome,
    RetryPolicy,
    Uploader,
    UsageError,
    batched,
    idempotency_key,
    plan,
    sha256_of,
    stops_the_run,
    walk,
)


def _tree(root: Path) -> Path:
    (root / "tree" / "b" / "deep").mkdir(parents=True)
    (root / "tree" / "a").mkdir()
    (root / "tree" / ".git").mkdir()
    (root / "outside").mkdir()
    files = {
        "tree/z.txt": "z",
        "tree/a/one.txt": "one",
        "tree/b/two.txt": "two",
        "tree/b/deep/three.txt": "three",
        "tree/.hidden.txt": "secret",
        "tree/.git/config": "git",
        "outside/other.txt": "other",
    }
    for name, text in files.items():
        (root / name).write_text(text)
    (root / "tree" / "link-out.txt").symlink_to(root / "outside" / "other.txt")
    (root / "tree" / "link-in.txt").symlink_to(root / "tree" / "a" / "one.txt")  # the same file again
    (root / "tree" / "b" / "link-up").symlink_to(root / "tree", target_is_directory=True)  # a loop
    (root / "tree" / "broken.txt").symlink_to(root / "nowhere")
    os.mkfifo(root / "tree" / "pipe")
    return root / "tree"


def test_a_folder_gives_its_files_depth_first_and_leaves_out_what_it_should(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    found = walk([tree], recursive=True)
    assert [p.relative_to(tree).as_posix() for p in found.files] == [
        "z.txt", "a/one.txt", "b/two.txt", "b/deep/three.txt",
    ]  # fmt: skip
    reasons = {left.path.relative_to(tree).as_posix(): left.reason for left in found.left_out}
    assert reasons == {
        ".git": "hidden",
        ".hidden.txt": "hidden",
        "broken.txt": "broken link",
        "link-out.txt": "link out of the folder",
        "pipe": "not a regular file",
        "b/link-up": "link to a folder",
    }
    assert "link-in.txt" not in [p.name for p in found.files]  # its target is listed already


def test_named_files_are_taken_as_they_are_and_once(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    hidden = tree / ".hidden.txt"
    found = walk([hidden, tree / "z.txt", tree / "z.txt", tree / "link-out.txt"], recursive=False)
    assert found.files == [hidden, tree / "z.txt", tree / "link-out.txt"]


def test_a_folder_needs_recursive(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--recursive"):
        walk([_tree(tmp_path)], recursive=False)


def test_the_hash_is_of_the_whole_file_read_in_pieces(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    content = os.urandom(3 * 1024 * 1024 + 17)
    big.write_bytes(content)
    assert sha256_of(big) == hashlib.sha256(content).hexdigest()
    assert idempotency_key(sha256_of(big)) == f"sha256-{hashlib.sha256(content).hexdigest()}"


def test_batches_cover_everything_in_order() -> None:
    assert [list(b) for b in batched(list(range(7)), 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(batched([], 3)) == []


def test_plan_settles_duplicates_and_known_contents_across_batches() -> None:
    first: dict[str, Item] = {}
    a, a_again, b, unreadable = (
        Item(Path("a"), 1, "h-a"), Item(Path("a2"), 1, "h-a"), Item(Path("b"), 1, "h-b"), Item(Path("x"), 1),
    )  # fmt: skip
    unreadable.outcome = Outcome.FAILED
    assert plan([a, a_again, unreadable], {}, first) == [a]
    assert a_again.outcome is Outcome.DUPLICATE and a_again.duplicate_of is a
    later = Item(Path("later-a"), 1, "h-a")
    assert plan([b, later], {"h-b": {"id": "doc-b"}}, first) == []
    assert b.outcome is Outcome.EXISTING and b.document == {"id": "doc-b"}
    assert later.outcome is Outcome.DUPLICATE and later.duplicate_of is a


def _api_error(status: int, code: str, retry_after: float | None = None) -> ApiError:
    return ApiError(status, {"code": code, "detail": "d"}, retry_after)


@pytest.mark.parametrize(
    ("error", "attempt", "expected"),
    [
        (_api_error(429, "too_many_uploads", 7), 1, 7),
        (_api_error(429, "too_many_uploads", 7), 29, 7),
        (_api_error(429, "too_many_uploads", 7), 30, None),  # throttled long enough
        (_api_error(429, "upload_quota_exceeded", 40_000), 1, None),  # come back tomorrow: no
        (_api_error(503, "storage_unavailable", 5), 1, 5),
        (_api_error(502, "http_502"), 3, 4),  # backoff 1, 2, 4, ...
        (_api_error(503, "storage_unavailable"), 5, None),
        (_api_error(415, "unsupported_file_type"), 1, None),
        (_api_error(413, "file_too_large"), 1, None),
        (_api_error(422, "idempotency_key_reused"), 1, None),
        (httpx.ConnectError("refused"), 1, 1),
        (httpx.ReadTimeout("slow"), 4, 8),
        (httpx.ReadTimeout("slow"), 5, None),
        (FileNotFoundError(2, "No such file or directory"), 1, None),
    ],
)
def test_which_refusals_are_tried_again_and_after_how_long(
    error: BaseException, attempt: int, expected: float | None
) -> None:
    assert RetryPolicy().delay(error, attempt) == expected


def test_a_refusal_every_file_would_get_stops_the_run() -> None:
    assert stops_the_run(Failure.of(_api_error(400, "invalid_pipeline")))
    assert stops_the_run(Failure.of(_api_error(401, "token_expired")))
    assert stops_the_run(Failure.of(_api_error(403, "insufficient_scope")))
    assert not stops_the_run(Failure.of(_api_error(415, "unsupported_file_type")))
    assert str(Failure.of(_api_error(415, "unsupported_file_type"))) == "415 unsupported_file_type: d"
    assert str(Failure.of(httpx.ConnectError("refused"))) == "unreachable: ConnectError: refused"


class _Client:
    """Stands in for ApiClient: answers from a script, records what it was asked and how many uploads
    were in flight at once."""

    def __init__(
        self, known: dict[str, dict[str, Any]] | None = None, script: dict[str, list[Any]] | None = None
    ):
        self.known = known or {}
        self.script = script or {}
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.uploads: list[tuple[str, str | None]] = []
        self.lookups: list[set[str]] = []

    def owned_by_sha256(self, digests: set[str], batch: int = 50) -> list[dict[str, Any]]:
        self.lookups.append(set(digests))
        return [self.known[d] for d in digests if d in self.known]

    def upload(self, path: Path, *, on_bytes: Any, idempotency_key: str | None, **_: Any) -> Any:
        with self.lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            self.uploads.append((path.name, idempotency_key))
            answer = self.script.get(path.name, [None]).pop(0) if self.script.get(path.name) else None
        try:
            time.sleep(0.02)
            on_bytes(path.stat().st_size)
            if isinstance(answer, BaseException):
                raise answer
            return {"id": f"doc-{path.name}", "sha256": sha256_of(path), "status": "queued"}, True
        finally:
            with self.lock:
                self.in_flight -= 1


class _View:
    def __init__(self) -> None:
        self.bytes = 0
        self.retries: list[str] = []

    def begin_uploads(self, files: int, total_bytes: int) -> None: ...
    def sent(self, size: int) -> None:
        self.bytes += size

    def settled(self, item: Item) -> None: ...
    def retrying(self, item: Item, failure: Failure, delay: float) -> None:
        self.retries.append(f"{item.path.name} {failure.code}")

    def note(self, text: str) -> None: ...
    def begin_processing(self, documents: int) -> None: ...
    def processed(self, document: dict[str, Any], path: Path) -> None: ...
    def tick(self) -> None: ...
    def close(self) -> None: ...


def _items(tmp_path: Path, names: dict[str, str]) -> list[Item]:
    items = []
    for name, text in names.items():
        (tmp_path / name).write_text(text)
        items.append(Item(tmp_path / name, len(text)))
    return items


FAST = RetryPolicy(base_seconds=0.01, max_seconds=0.02)


def test_the_uploader_keeps_to_its_bound_skips_what_is_known_and_retries_what_passes(tmp_path: Path) -> None:
    names = {f"f{n:02}.txt": f"content {n}" for n in range(12)} | {"copy.txt": "content 3"}
    items = _items(tmp_path, names)
    known_hash = hashlib.sha256(b"content 0").hexdigest()
    client = _Client(
        known={known_hash: {"id": "old", "sha256": known_hash, "status": "ready"}},
        script={
            "f01.txt": [_api_error(503, "storage_unavailable"), httpx.ConnectError("reset")],
            "f02.txt": [_api_error(415, "unsupported_file_type")],
        },
    )
    view = _View()
    uploader = Uploader(client, items, view, parallel=3, policy=FAST)  # type: ignore[arg-type]
    uploader.run()

    outcomes = {item.path.name: item.outcome for item in items}
    assert outcomes["f00.txt"] is Outcome.EXISTING
    assert outcomes["f01.txt"] is Outcome.UPLOADED  # on its third try
    assert outcomes["f02.txt"] is Outcome.FAILED
    assert outcomes["copy.txt"] is Outcome.DUPLICATE
    assert [i.path.name for i in items if i.outcome is Outcome.UPLOADED] == [
        f"f{n:02}.txt" for n in range(1, 12) if n != 2
    ]
    assert client.most_in_flight == 3
    assert view.retries == ["f01.txt storage_unavailable", "f01.txt unreachable"]
    assert view.bytes == sum(item.size for item in items)  # retried bytes are not counted twice
    sent = [name for name, _ in client.uploads]
    assert sent.count("f01.txt") == 3 and "f00.txt" not in sent and "copy.txt" not in sent
    assert all(key == f"sha256-{sha256_of(tmp_path / name)}" for name, key in client.uploads)
    assert len(client.lookups) == 1 and len(client.lookups[0]) == 12  # one question for the batch


def test_a_refusal_every_file_would_get_stops_the_uploader(tmp_path: Path) -> None:
    items = _items(tmp_path, {f"f{n}.txt": f"c{n}" for n in range(8)})
    client = _Client(script={"f0.txt": [_api_error(400, "invalid_pipeline")]})
    uploader = Uploader(client, items, _View(), parallel=1, policy=FAST)  # type: ignore[arg-type]
    uploader.run()
    assert uploader.halted_by is not None and uploader.halted_by.code == "invalid_pipeline"
    assert items[0].outcome is Outcome.FAILED
    assert {item.outcome for item in items[1:]} == {Outcome.INTERRUPTED}
    assert len(client.uploads) == 1


def test_too_many_requests_hold_every_upload_back(tmp_path: Path) -> None:
    items = _items(tmp_path, {f"f{n}.txt": f"c{n}" for n in range(4)})
    client = _Client(script={"f0.txt": [_api_error(429, "too_many_uploads", 0.3)]})
    started = time.monotonic()
    Uploader(client, items, _View(), parallel=1, policy=FAST).run()  # type: ignore[arg-type]
    assert time.monotonic() - started >= 0.3
    assert all(item.outcome is Outcome.UPLOADED for item in items)
