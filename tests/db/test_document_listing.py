"""The documents list: every sort pages through every row exactly once, filters combine, cursors
are tied to their sort order."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy.orm import Session

from shared.documents import repository
from shared.errors import Invalid
from tests.db.conftest import make_document, make_user

NAMES = ["b|pipe.pdf", "A.png", "a.png", "zeta.txt", "Ωmega.docx", 'quote".pdf', "100%_done.pdf", "b.tiff"]
TYPES = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".tiff": "image/tiff",
    ".txt": "text/plain",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


@pytest.fixture
def library(session: Session):
    owner = make_user(session)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rng = random.Random(7)
    documents = []
    for i, name in enumerate(NAMES * 2):  # duplicates: ties on every key but the id
        suffix = name[name.rindex(".") :]
        documents.append(
            make_document(
                session,
                owner,
                filename=name,
                content_type=TYPES[suffix],
                size_bytes=rng.choice([10, 20, 30]),
                created_at=start + dt.timedelta(minutes=i // 3),
            )
        )
    return owner, documents


def _all_pages(session: Session, owner, limit: int, **filters) -> list:
    seen, cursor = [], None
    while True:
        rows, cursor = repository.list_visible(
            session, owner.id, status=None, limit=limit, cursor=cursor, **filters
        )
        seen += [document for document, _role in rows]
        if cursor is None:
            return seen


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "filename", "-filename", "size", "-size"])
def test_every_sort_visits_each_document_once_in_order(session: Session, library, sort: str) -> None:
    owner, documents = library
    seen = _all_pages(session, owner, limit=3, sort=sort)
    assert sorted(d.id for d in seen) == sorted(d.id for d in documents)
    key = {"created_at": "created_at", "filename": "filename", "size": "size_bytes"}[sort.lstrip("-")]
    values = [getattr(d, key) for d in seen]
    # Filenames compare in the database's collation, so only check the order for the other keys.
    if key != "filename":
        assert values == sorted(values, reverse=sort.startswith("-"))


def test_type_and_name_filters_combine(session: Session, library) -> None:
    owner, _ = library
    images = _all_pages(session, owner, limit=5, kind="image")
    assert {d.content_type for d in images} == {"image/png", "image/tiff"} and len(images) == 6
    named = _all_pages(session, owner, limit=5, kind="pdf", name="PIPE")
    assert [d.filename for d in named] == ["b|pipe.pdf"] * 2
    # LIKE wildcards in the box are literal characters, and control characters do not reach SQL.
    assert [d.filename for d in _all_pages(session, owner, limit=5, name="%_d")] == ["100%_done.pdf"] * 2
    assert _all_pages(session, owner, limit=5, name="_") and not _all_pages(
        session, owner, limit=5, name="x_y"
    )
    assert len(_all_pages(session, owner, limit=50, name="\x00")) == len(NAMES) * 2


def test_a_cursor_only_continues_the_sort_it_came_from(session: Session, library) -> None:
    owner, _ = library
    _rows, cursor = repository.list_visible(
        session, owner.id, status=None, limit=2, cursor=None, sort="filename"
    )
    assert cursor is not None
    with pytest.raises(Invalid) as refused:
        repository.list_visible(session, owner.id, status=None, limit=2, cursor=cursor, sort="-size")
    assert refused.value.code == "invalid_cursor"
