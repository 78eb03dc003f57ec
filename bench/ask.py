"""Asking: how good the answers are and how fast they come, for the local (extractive) answerer and for
the cloud path (OpenAI's API, served by the local fake), on an evaluation set whose answers sit on known
pages (testkit/questions.py). The baseline is plain search (GET /api/v1/search) for the same questions
on the same product, measured in this run: what retrieval alone finds and costs.

- retrieval hit@5: the answering page among the first five passages the answer was given;
- search hit@5: the same for plain search, whose keyword side wants every word of the question;
- grounded: answerable questions that got an answer; refused: unanswerable ones answered "not found";
- right page: citations that point at the answering page; verbatim: quotes found as they stand in
  the page text GET /documents/{id}/pages returns (must be 100 %);
- first byte / first word / done: median milliseconds from the request to the first event, the first
  piece of answer text and the whole answer.

    python -m bench.ask [--documents 8] [--answerer local|cloud|both]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import connect_sse

from bench.report import print_table
from cli.stack.redis import free_port
from cli.stack.stack import Stack, StackOptions
from testkit import documents as make
from testkit.fakes.openai_server import FakeOpenAI
from testkit.questions import Corpus, Question, corpus

QUOTAS_OFF = {"QUOTA_ASKS_PER_MINUTE": "0", "QUOTA_REQUESTS_PER_MINUTE": "0", "QUOTA_UPLOADS_PER_MINUTE": "0"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=8)
    parser.add_argument("--answerer", choices=("local", "cloud", "both"), default="both")
    args = parser.parse_args()
    evaluation = corpus(args.documents)
    rows = []
    if args.answerer in ("local", "both"):
        rows.append(_measure("local (extractive)", {}, evaluation))
    with FakeOpenAI() as fake:
        cloud = {
            "EMBEDDINGS_PROVIDER": "openai",
            "LLM_PROVIDER": "openai",
            "OPENAI_API_KEY": fake.api_key,
            "OPENAI_BASE_URL": fake.base_url,
        }
        if args.answerer in ("cloud", "both"):
            rows.append(_measure("OpenAI API (local fake)", cloud, evaluation))
    answerable = sum(q.filename is not None for q in evaluation.questions)
    print_table(
        f"Ask: {len(evaluation.documents)} documents, {answerable} answerable and "
        f"{len(evaluation.questions) - answerable} unanswerable questions, one at a time",
        ["answerer", "retrieval hit@5", "search hit@5", "grounded", "refused", "right page", "verbatim",
         "first byte ms", "first word ms", "done ms", "search ms"],
        rows,
    )  # fmt: skip


def _measure(name: str, env: dict[str, str], evaluation: Corpus) -> list[object]:
    data_dir = Path(tempfile.mkdtemp(prefix="workopti-bench-ask-"))
    data_dir.chmod(0o755)
    stack = Stack(
        StackOptions(data_dir=data_dir, api_port=free_port(), flower_port=None,
                     env={"DATABASE_URL": "", "REDIS_URL": ""} | QUOTAS_OFF | env)
    )  # fmt: skip
    stack.start()
    try:
        with httpx.Client(base_url=stack.api_url, timeout=300) as http:
            token = http.post("/api/v1/auth/dev-token", json={"user_id": "bench-asker"}).json()[
                "access_token"
            ]
            http.headers["Authorization"] = f"Bearer {token}"
            ids, pages = _upload(http, evaluation)
            for question in evaluation.questions[:2]:  # warm the models and connections
                _ask(http, question.text)
            results = [(q, _ask(http, q.text), _search(http, q.text)) for q in evaluation.questions]
    finally:
        stack.stop()
    return _row(name, results, ids, pages)


def _upload(http: httpx.Client, evaluation: Corpus) -> tuple[dict[str, str], dict[tuple[str, int], str]]:
    ids = {}
    for filename, texts in evaluation.documents.items():
        response = http.post(
            "/api/v1/documents", files={"file": (filename, make.text_pdf(texts), "application/pdf")}
        )
        response.raise_for_status()
        ids[filename] = response.json()["id"]
    pages: dict[tuple[str, int], str] = {}
    for document_id in ids.values():
        deadline = time.monotonic() + 600
        while http.get(f"/api/v1/documents/{document_id}").json()["status"] != "ready":
            if time.monotonic() > deadline:
                raise SystemExit(f"document {document_id} was not processed in time")
            time.sleep(0.5)
        for page in http.get(f"/api/v1/documents/{document_id}/pages").json()["items"]:
            pages[(document_id, page["page_no"])] = page["text"]
    return ids, pages


def _ask(http: httpx.Client, question: str) -> dict[str, Any]:
    started = time.perf_counter()
    first_byte = first_word = None
    done: dict[str, Any] = {}
    with connect_sse(http, "POST", "/api/v1/ask", json={"question": question}) as source:
        source.response.raise_for_status()
        for event in source.iter_sse():
            now = time.perf_counter() - started
            first_byte = first_byte if first_byte is not None else now
            if event.event == "delta" and first_word is None:
                first_word = now
            elif event.event == "done":
                done = event.json()
            elif event.event == "error":
                raise SystemExit(f"{question!r}: {event.data}")
    return done | {
        "_first_byte": first_byte,
        "_first_word": first_word,
        "_done": time.perf_counter() - started,
    }


def _search(http: httpx.Client, question: str) -> dict[str, Any]:
    started = time.perf_counter()
    response = http.get("/api/v1/search", params={"q": question, "limit": 5})
    response.raise_for_status()
    return response.json() | {"_elapsed": time.perf_counter() - started}


def _row(
    name: str,
    results: list[tuple[Question, dict[str, Any], dict[str, Any]]],
    ids: dict[str, str],
    pages: dict[tuple[str, int], str],
) -> list[object]:
    answerable = [(q, a, s) for q, a, s in results if q.filename is not None]
    unanswerable = [(q, a, s) for q, a, s in results if q.filename is None]

    def at(question: Question) -> tuple[str, int | None]:
        return ids[question.filename or ""], question.page_no

    retrieval = [
        at(q) in {(p["document_id"], p["page_no"]) for p in a["sources"][:5]} for q, a, _ in answerable
    ]
    searched = [at(q) in {(h["document_id"], h["page_no"]) for h in s["items"][:5]} for q, _, s in answerable]
    citations = [(q, c) for q, a, _ in answerable for c in a["citations"]]
    every_quote = [
        (c["document_id"], c["page_no"], c["quote"]) for _, a, _ in results for c in a["citations"]
    ]
    verbatim = [quote in pages.get((document_id, page_no), "") for document_id, page_no, quote in every_quote]
    return [
        name,
        _share(retrieval),
        _share(searched),
        _share([a["grounded"] for _, a, _ in answerable]),
        _share([not a["grounded"] for _, a, _ in unanswerable]),
        _share([(c["document_id"], c["page_no"]) == at(q) for q, c in citations]),
        _share(verbatim),
        _median_ms([a["_first_byte"] for _, a, _ in results]),
        _median_ms([a["_first_word"] for _, a, _ in results if a["_first_word"] is not None]),
        _median_ms([a["_done"] for _, a, _ in results]),
        _median_ms([s["_elapsed"] for _, _, s in results]),
    ]


def _share(values: list[bool]) -> str:
    return f"{100 * sum(values) / len(values):.0f} % ({sum(values)}/{len(values)})" if values else "—"


def _median_ms(values: list[float]) -> str:
    return f"{statistics.median(values) * 1000:.0f}" if values else "—"


if __name__ == "__main__":
    main()
