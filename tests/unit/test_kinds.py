"""The job kinds' catalogue: what a declaration may say, and what loading one says when it is wrong."""

from __future__ import annotations

import re

import pytest

from shared.jobs.kinds import Catalog, Kind, UnknownKind, load_catalog
from shared.jobs.step import Step

STEP = "shared.pipeline.steps.ai:AiStep"


def test_the_built_in_kinds_run_extract_first_and_name_their_queues() -> None:
    kinds = load_catalog()
    assert kinds.names() == ["extract", "embed", "ai", "schemas"]
    assert kinds.queues == ("ocr", "embed", "ai", "webhooks", "maintenance")
    assert kinds.default_pipeline == ["extract", "embed", "ai"]
    assert kinds.descendants("extract") == ["embed", "ai", "schemas"] and kinds.descendants("ai") == [
        "schemas"
    ]
    assert kinds.wanted("schemas") is not None and kinds.wanted("ai") is None
    assert kinds.get("embed").task == "workopti.jobs.embed"
    assert all(issubclass(kinds.step(kind.name), Step) for kind in kinds)


def test_kinds_are_ordered_after_the_kinds_they_follow_whatever_the_declaration_order() -> None:
    kinds = Catalog(
        [
            Kind("summary", queue="ai", step=STEP, follows="pages"),
            Kind("pages", queue="ocr", step=STEP),
            Kind("digest", queue="ai", step=STEP, follows="summary", default=False),
        ]
    )
    assert kinds.names() == ["pages", "summary", "digest"]
    assert kinds.order(["digest", "pages"]) == ["pages", "digest"]
    assert kinds.descendants("pages") == ["summary", "digest"]
    assert kinds.default_pipeline == ["pages", "summary"]
    assert kinds.work_queues == ("ocr", "ai")
    with pytest.raises(UnknownKind):
        kinds.order(["pages", "translate"])


@pytest.mark.parametrize(
    ("declared", "complaint"),
    [
        ([Kind("a", "q", STEP), Kind("a", "q", STEP)], "declared twice"),
        ([Kind("a", "q", STEP, follows="b")], "not declared"),
        ([Kind("a", "q", STEP, follows="b"), Kind("b", "q", STEP, follows="a")], "follows itself"),
        ([Kind("Extract", "q", STEP)], "names are"),
        ([Kind("a" * 17, "q", STEP)], "names are"),
        ([Kind("a", "maintenance", STEP)], "cannot be a work queue"),
        ([Kind("a", "q", "shared.pipeline.steps.ai.AiStep")], "module:Class"),
    ],
)
def test_a_catalogue_that_cannot_work_is_refused_with_the_reason(
    declared: list[Kind], complaint: str
) -> None:
    with pytest.raises(ValueError, match=complaint):
        Catalog(declared)


def test_a_step_that_is_not_a_step_is_refused_when_first_needed() -> None:
    kinds = Catalog([Kind("a", "q", "shared.jobs.kinds:Kind")])
    with pytest.raises(TypeError, match="is not a Step"):
        kinds.step("a")


def test_a_kind_module_that_cannot_be_loaded_names_the_setting() -> None:
    with pytest.raises(
        ValueError, match=re.escape("JOB_KIND_MODULES names no.such.module, which cannot be imported")
    ):
        load_catalog(["no.such.module"])
    with pytest.raises(ValueError, match=re.escape("shared.jobs.step (JOB_KIND_MODULES) declares no KINDS")):
        load_catalog(["shared.jobs.step"])


def test_only_a_kind_outside_the_default_pipeline_that_follows_another_may_be_wanted() -> None:
    wanted = "shared.extraction.assign:wanted"
    with pytest.raises(ValueError, match="wanted"):
        Catalog([Kind("pages", queue="ocr", step=STEP, default=False, wanted=wanted)])
    with pytest.raises(ValueError, match="wanted"):
        Catalog(
            [
                Kind("pages", queue="ocr", step=STEP),
                Kind("x", queue="ai", step=STEP, follows="pages", wanted=wanted),
            ]
        )
    with pytest.raises(ValueError, match="wanted"):
        Catalog(
            [
                Kind("pages", queue="ocr", step=STEP),
                Kind("x", queue="ai", step=STEP, follows="pages", default=False, wanted="no_colon"),
            ]
        )
