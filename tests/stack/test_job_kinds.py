"""Job kinds are data: a kind declared only by the test suite (tests/stack/word_count_kind.py, named in the
main stack's JOB_KIND_MODULES) runs end to end through the real launcher, workers and API."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from cli.stack.stack import Stack
from testkit import documents as make
from tests.conftest import ApiUser
from tests.stack.word_count_kind import TABLE_DDL

pytestmark = pytest.mark.stack

PAGES = ["one two three", "four five six seven"]


@pytest.fixture(scope="module")
def word_counts(engine: Engine) -> Engine:
    with engine.begin() as connection:
        connection.execute(text(TABLE_DDL))
    return engine


def _counts(engine: Engine, job_id: str) -> list[tuple[int, int]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT page_no, words FROM word_counts WHERE job_id = :job ORDER BY page_no"),
            {"job": job_id},
        ).all()
    return [(page_no, words) for page_no, words in rows]


def test_the_api_lists_the_kind_beside_the_built_in_ones(user: ApiUser) -> None:
    pipeline = user.http.get("/api/v1/pipeline").json()
    steps = {step["name"]: step for step in pipeline["steps"]}
    assert steps["wordcount"] == {"name": "wordcount", "follows": "extract", "default": False}
    assert pipeline["default"] == ["extract", "embed", "ai"]  # an upload without a pipeline skips it
    assert [step["name"] for step in pipeline["steps"]][:1] == ["extract"]


def test_a_kind_declared_by_the_suite_runs_on_its_own_queue_and_worker(
    user: ApiUser, word_counts: Engine, stack: Stack
) -> None:
    uploaded = user.upload("counted.pdf", make.text_pdf(PAGES), data={"pipeline": "wordcount,extract"})
    assert uploaded.status_code == 202, uploaded.text
    document = user.wait_for(uploaded.json()["id"])
    assert document["status"] == "ready", document
    assert document["pipeline"] == ["extract", "wordcount"]
    job = next(job for job in document["jobs"] if job["kind"] == "wordcount")
    assert job["status"] == "succeeded" and job["queue"] == "count"
    assert document["outputs"]["wordcount"] == job["id"]
    assert _counts(word_counts, job["id"]) == [(1, 3), (2, 4)]
    worker_log = (stack.data_dir / "logs" / "worker-count.log").read_text(errors="replace")
    assert f"job {job['id']} (wordcount) attempt 1 succeeded" in worker_log

    # A re-run builds beside it and, once it has succeeded, the engine has the step discard the old rows.
    rerun = user.http.post(f"/api/v1/documents/{document['id']}/reprocess")
    assert rerun.status_code == 202, rerun.text
    again = user.wait_for(document["id"])
    new_job = next(job for job in again["jobs"] if job["kind"] == "wordcount")
    assert again["status"] == "ready" and new_job["id"] != job["id"]
    assert _counts(word_counts, new_job["id"]) == [(1, 3), (2, 4)]
    assert _counts(word_counts, job["id"]) == []


def test_a_pipeline_naming_an_unknown_kind_or_missing_a_parent_is_refused(user: ApiUser) -> None:
    for pipeline, named in (("extract,translate", "'translate'"), ("wordcount", "extract")):
        response = user.upload("refused.txt", make.txt(f"refused {pipeline}"), data={"pipeline": pipeline})
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_pipeline" and named in response.json()["detail"]
