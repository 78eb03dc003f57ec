"""Asking documents on the suite's product, with the local (extractive) answerer and the real workers
having processed the documents: answers cite the page they come from with the page's own text, stream
as server-sent events, keep to what the caller may read, and follow-ups continue a conversation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from testkit import documents as make
from tests.conftest import ApiUser

pytestmark = pytest.mark.stack

FLEET = [
    "Harbour timetable. The harbour office opens at six in the morning on weekdays.",
    "The ferry Nordlys carries 320 passengers between Bodø and Moskenes. "
    "The ferry Nordlys also takes 40 cars on its lower deck.",
    "Catering on board. Hot meals are served in the forward lounge until eight in the evening.",
]
SECRET = ["Security memo. The vault code for the archive room is 4417, changed every March."]
PROBLEM_JSON = "application/problem+json"


@pytest.fixture(scope="module")
def library(user_factory: Callable[[str | None], ApiUser]) -> dict[str, Any]:
    owner, stranger = user_factory(None), user_factory(None)
    fleet = owner.upload("fleet.pdf", make.text_pdf(FLEET)).json()["id"]
    secret = stranger.upload("memo.pdf", make.text_pdf(SECRET)).json()["id"]
    for who, document_id in ((owner, fleet), (stranger, secret)):
        assert who.wait_for(document_id)["status"] == "ready"
    pages = owner.http.get(f"/api/v1/documents/{fleet}/pages").json()["items"]
    return {"owner": owner, "stranger": stranger, "fleet": fleet, "secret": secret, "pages": pages}


def ask(user: ApiUser, question: str, **body: Any) -> httpx.Response:
    return user.http.post("/api/v1/ask", json={"question": question, **body})


def stream(user: ApiUser, question: str, **body: Any) -> tuple[httpx.Response, list[tuple[str, Any]]]:
    events: list[tuple[str, Any]] = []
    with user.http.stream(
        "POST", "/api/v1/ask", json={"question": question, **body}, headers={"Accept": "text/event-stream"}
    ) as response:
        name = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.removeprefix("event:").strip()
            elif line.startswith("data:") and name is not None:
                events.append((name, json.loads(line.removeprefix("data:").strip())))
                name = None
    return response, events


def test_an_answer_cites_the_page_it_comes_from_with_the_pages_own_words(library: dict[str, Any]) -> None:
    response = ask(library["owner"], "How many passengers does the ferry Nordlys carry?")
    assert response.status_code == 200, response.text
    answer = response.json()

    assert answer["grounded"] is True
    assert (answer["provider"], answer["extractive"]) == ("local", True)
    assert "320 passengers" in answer["answer"]
    page_text = {page["page_no"]: page["text"] for page in library["pages"]}
    first = answer["citations"][0]
    assert (first["document_id"], first["filename"], first["page_no"]) == (library["fleet"], "fleet.pdf", 2)
    for citation in answer["citations"]:
        assert citation["quote"] in page_text[citation["page_no"]]  # verbatim, as the pages endpoint has it
    assert uuid.UUID(answer["conversation_id"]) and answer["position"] == 0


def test_the_answer_streams_as_events_that_end_with_done(library: dict[str, Any]) -> None:
    response, events = stream(library["owner"], "How many passengers does the ferry Nordlys carry?")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-accel-buffering"] == "no"  # nginx would otherwise hold the stream back
    assert "no-transform" in response.headers["cache-control"]
    names = [name for name, _ in events]
    assert names[0] == "sources" and names[-1] == "done"
    assert "delta" in names and names.index("delta") < names.index("citation") < names.index("done")
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert [data for name, data in events if name == "citation"] == done["citations"]
    assert done["grounded"] and done["citations"][0]["page_no"] == 2


def test_what_the_documents_do_not_hold_is_not_invented(library: dict[str, Any]) -> None:
    answer = ask(library["owner"], "What is the melting point of tungsten in kelvin?").json()
    assert answer["grounded"] is False
    assert answer["answer"] == "I could not find this in your documents."
    assert answer["citations"] == []
    assert answer["sources"]  # the closest passages, for the reader to look at


def test_another_users_document_is_never_retrieved_quoted_or_counted(library: dict[str, Any]) -> None:
    owner, stranger = library["owner"], library["stranger"]
    answer = ask(owner, "What is the vault code for the archive room?").json()
    assert answer["grounded"] is False
    assert all(s["document_id"] != library["secret"] for s in answer["sources"])
    assert "4417" not in json.dumps(answer)

    refused = ask(owner, "What is the vault code?", document_ids=[library["secret"]])
    assert refused.status_code == 404 and refused.json()["code"] == "document_not_found"

    theirs = ask(stranger, "What is the vault code for the archive room?").json()
    assert theirs["grounded"] and theirs["citations"][0]["document_id"] == library["secret"]
    assert "4417" in theirs["citations"][0]["quote"]


def test_asking_within_documents_keeps_to_them(library: dict[str, Any], user: ApiUser) -> None:
    other = user.upload("menu.pdf", make.text_pdf(["Lunch menu. Fish soup and rye bread every Friday."]))
    menu = other.json()["id"]
    assert user.wait_for(menu)["status"] == "ready"
    owner = library["owner"]
    within = ask(owner, "How many cars does the ferry take?", document_ids=[library["fleet"]]).json()
    assert within["grounded"] and {s["document_id"] for s in within["sources"]} == {library["fleet"]}
    assert ask(owner, "What is served on Friday?", document_ids=[menu]).status_code == 404


def test_a_follow_up_continues_the_conversation(library: dict[str, Any]) -> None:
    owner, stranger = library["owner"], library["stranger"]
    first = ask(owner, "How many passengers does the ferry Nordlys carry?").json()
    conversation = first["conversation_id"]
    follow_up = ask(owner, "And how many cars?", conversation_id=conversation).json()
    assert follow_up["grounded"] and follow_up["position"] == 1
    assert follow_up["conversation_id"] == conversation
    assert any("40 cars" in c["quote"] for c in follow_up["citations"])

    listed = owner.http.get("/api/v1/conversations").json()["items"]
    assert (
        listed[0]["id"] == conversation
        and listed[0]["title"] == "How many passengers does the ferry Nordlys carry?"
    )
    detail = owner.http.get(f"/api/v1/conversations/{conversation}").json()
    assert [t["question"] for t in detail["turns"]] == [
        "How many passengers does the ferry Nordlys carry?",
        "And how many cars?",
    ]
    assert detail["turns"][1]["citations"] == follow_up["citations"]
    assert detail["turns"][1]["sources"] == follow_up["sources"] and detail["turns"][1]["extractive"] is True

    for response in (
        stranger.http.get(f"/api/v1/conversations/{conversation}"),
        stranger.http.delete(f"/api/v1/conversations/{conversation}"),
        ask(stranger, "And the cars?", conversation_id=conversation),
    ):
        assert response.status_code == 404 and response.json()["code"] == "conversation_not_found"
    assert all(c["id"] != conversation for c in stranger.http.get("/api/v1/conversations").json()["items"])

    assert owner.http.delete(f"/api/v1/conversations/{conversation}").status_code == 204
    assert owner.http.get(f"/api/v1/conversations/{conversation}").status_code == 404


def test_conversations_are_listed_newest_first_a_page_at_a_time(
    library: dict[str, Any], user: ApiUser
) -> None:
    for question in ("What is page one?", "What is page two?", "What is page three?"):
        assert ask(user, question).status_code == 200
    first = user.http.get("/api/v1/conversations", params={"limit": 2}).json()
    assert [c["title"] for c in first["items"]] == ["What is page three?", "What is page two?"]
    rest = user.http.get("/api/v1/conversations", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [c["title"] for c in rest["items"]] == ["What is page one?"] and rest["next_cursor"] is None
    bad = user.http.get("/api/v1/conversations", params={"cursor": "not-ours"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"question": "   \t "}, 400, "empty_question"),
        ({"question": "why? " * 500}, 400, "question_too_long"),
        ({"question": ""}, 422, "validation_error"),
        ({"question": 42}, 422, "validation_error"),
        ({"question": "Who?", "document_ids": ["not-a-uuid"]}, 422, "validation_error"),
        ({"question": "Who?", "document_ids": []}, 400, "no_documents"),
        ({"question": "Who?", "document_ids": [str(uuid.uuid4())]}, 404, "document_not_found"),
        ({"question": "Who?", "conversation_id": str(uuid.uuid4())}, 404, "conversation_not_found"),
    ],
)
def test_a_bad_question_is_a_problem_and_stores_nothing(
    user: ApiUser, body: dict[str, Any], status: int, code: str
) -> None:
    for accept in ("application/json", "text/event-stream"):  # refused before any stream begins
        response = user.http.post("/api/v1/ask", json=body, headers={"Accept": accept})
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == PROBLEM_JSON and response.json()["code"] == code
    assert user.http.get("/api/v1/conversations").json()["items"] == []
