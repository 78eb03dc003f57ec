"""The Azure DevOps pipelines, validated as Azure DevOps would compile them, as far as that can be done
offline: well-formed YAML, every template reference resolvable with the parameters it declares, and
every variable documented in docs/cicd-runbook.md."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy.tools import ROOT

PIPELINES = ROOT / "azuredevops" / "pipelines"
RUNBOOK = ROOT / "docs" / "cicd-runbook.md"
ALL_YAML = sorted(PIPELINES.rglob("*.yaml"))
ENTRY_POINTS = {"api.yaml", "worker.yaml", "frontend.yaml", "rollback.yaml"}
# Azure DevOps' own variables and the run-number tokens.
PREDEFINED = re.compile(r"^(Build|System|Agent|Pipeline|Environment|Release)\.|^(Date|Rev):")


@cache
def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def declared_parameters(path: Path) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in load(path).get("parameters") or []}


def template_references() -> Iterator[tuple[Path, str, dict[str, Any]]]:
    for path in ALL_YAML:
        for node in walk(load(path)):
            if isinstance(node.get("template"), str):
                yield path, node["template"], node.get("parameters") or {}


def test_the_pipelines_and_templates_are_there() -> None:
    names = {p.relative_to(PIPELINES).as_posix() for p in ALL_YAML}
    assert names >= ENTRY_POINTS
    assert {"templates/stages/docker-build.yaml", "templates/stages/deploy-api.yaml",
            "templates/stages/docker-frontend.yaml", "templates/stages/deploy-workers.yaml"} <= names  # fmt: skip


@pytest.mark.parametrize("path", ALL_YAML, ids=lambda p: p.relative_to(PIPELINES).as_posix())
def test_yaml_is_well_formed(path: Path) -> None:
    document = load(path)
    assert isinstance(document, dict) and document, path
    assert "\t" not in path.read_text()


def test_every_template_exists_and_gets_the_parameters_it_declares() -> None:
    references = list(template_references())
    assert len(references) >= 10
    for source, reference, passed in references:
        target = (source.parent / reference).resolve()
        where = f"{source.relative_to(PIPELINES)} -> {reference}"
        assert target.is_file(), f"{where}: no such template"
        declared = declared_parameters(target)
        unknown = set(passed) - set(declared)
        assert not unknown, f"{where}: passes undeclared parameters {sorted(unknown)}"
        required = {name for name, spec in declared.items() if "default" not in spec}
        missing = required - set(passed)
        assert not missing, f"{where}: does not pass required parameters {sorted(missing)}"
        for name, value in passed.items():
            allowed = declared[name].get("values")
            if allowed and isinstance(value, str) and "${{" not in value:
                assert value in allowed, f"{where}: {name}={value!r} is not one of {allowed}"


@pytest.mark.parametrize("path", ALL_YAML, ids=lambda p: p.relative_to(PIPELINES).as_posix())
def test_a_template_uses_only_parameters_it_declares(path: Path) -> None:
    used = set(re.findall(r"\bparameters\.(\w+)", path.read_text()))
    assert used <= set(declared_parameters(path)), (
        f"undeclared: {sorted(used - set(declared_parameters(path)))}"
    )


def test_every_template_is_used() -> None:
    used = {(source.parent / reference).resolve() for source, reference, _ in template_references()}
    for path in ALL_YAML:
        if path.name not in ENTRY_POINTS or path.parent != PIPELINES:
            assert path.resolve() in used, f"{path.relative_to(PIPELINES)} is referenced by no pipeline"


def _variables_used() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in ALL_YAML:
        text = "\n".join(line for line in path.read_text().splitlines() if not line.lstrip().startswith("#"))
        names = set(re.findall(r"\$\(([A-Za-z_][\w.:]*)\)", text))
        names |= set(re.findall(r"\bvariables\.([A-Za-z_]\w*)", text))
        names |= set(re.findall(r"\bvariables\['([^']+)'\]", text))
        for name in names:
            if not PREDEFINED.search(name):
                used.setdefault(name, set()).add(path.relative_to(PIPELINES).as_posix())
    return used


def test_every_variable_used_is_documented_in_the_runbook() -> None:
    runbook = RUNBOOK.read_text()
    documented = set(re.findall(r"^\| `([\w.]+)` \|", runbook, flags=re.MULTILINE))
    used = _variables_used()
    assert len(used) >= 10
    missing = {name: sorted(files) for name, files in used.items() if name not in documented}
    assert not missing, f"document these in {RUNBOOK.name}: {missing}"


def test_every_variable_group_is_documented_and_chosen_by_branch() -> None:
    runbook = RUNBOOK.read_text()
    text = (PIPELINES / "templates" / "variables" / "environment.yaml").read_text()
    for branch, group in (("dev", "workopti-dev"), ("showcase", "workopti-showcase")):
        assert f"eq(variables['Build.SourceBranch'], 'refs/heads/{branch}')" in text
        assert f"- group: {group}" in text
        assert f"`{group}`" in runbook
    # Production stays off until it is enabled on purpose.
    assert re.search(r"^\s*#\s*- group: workopti-prod", text, flags=re.MULTILINE)
    assert not re.search(r"^\s*- group: workopti-prod", text, flags=re.MULTILINE)


@pytest.mark.parametrize(
    "pipeline, paths",
    [
        ("api.yaml", {"api/**", "shared/**", "requirements/**"}),
        ("worker.yaml", {"worker/**", "shared/**"}),
        ("frontend.yaml", {"frontend/**"}),
    ],
)
def test_each_app_triggers_on_its_own_paths(pipeline: str, paths: set[str]) -> None:
    trigger = load(PIPELINES / pipeline)["trigger"]
    include = set(trigger["paths"]["include"])
    assert paths <= include
    for path in include:
        assert (ROOT / path.removesuffix("/**")).exists(), f"{pipeline}: trigger path {path} matches nothing"
    assert set(trigger["branches"]["include"]) == {"dev", "showcase"}
    if pipeline != "frontend.yaml":
        assert "frontend/**" not in include


def test_images_are_built_from_files_that_exist_and_tagged_by_environment_component_and_commit() -> None:
    builds = [(source, passed) for source, reference, passed in template_references()
              if reference.endswith("docker-build.yaml")]  # fmt: skip
    assert {passed["component"] for _, passed in builds} == {"py", "worker", "frontend"}
    for _, passed in builds:
        assert (ROOT / passed["dockerfile"]).is_file()
        assert (ROOT / passed["context"]).is_dir()
    build = (PIPELINES / "templates" / "stages" / "docker-build.yaml").read_text()
    assert (
        "imageTag: ${{ parameters.environmentName }}-${{ parameters.component }}-$(Build.SourceVersion)"
        in build
    )
    environment = (PIPELINES / "templates" / "variables" / "environment.yaml").read_text()
    assert "value: workopti.azurecr.io" in environment
    for pipeline, component in (("api.yaml", "py"), ("worker.yaml", "worker"), ("frontend.yaml", "frontend")):
        assert (
            f"imageTag: ${{{{ variables.environmentName }}}}-{component}-$(Build.SourceVersion)"
            in (PIPELINES / pipeline).read_text()
        )


def test_a_release_migrates_before_the_new_image_takes_traffic() -> None:
    for name in ("deploy-api.yaml", "deploy-workers.yaml"):
        jobs = load(PIPELINES / "templates" / "stages" / name)["stages"][0]["jobs"]
        migrate = next(iter(jobs[0].values()))[0]
        assert migrate["deployment"] == "migrate"
        assert migrate["strategy"]["runOnce"]["deploy"]["steps"][1]["template"] == "../steps/migrate.yaml"
        release = jobs[1]
        assert release["deployment"] == "release"
        # `${{ if parameters.runMigrations }}: dependsOn: migrate`
        assert {"dependsOn": "migrate"} in [v for k, v in release.items() if k.startswith("${{ if")], name
    migrate_step = (PIPELINES / "templates" / "steps" / "migrate.yaml").read_text()
    assert "python -m cli.main migrate" in migrate_step
    jobs = load(PIPELINES / "templates" / "stages" / "deploy-api.yaml")["stages"][0]["jobs"]
    steps = jobs[1]["strategy"]["runOnce"]["deploy"]["steps"]
    steps = [step for step in steps if "download" not in step]
    assert [step.get("task") or step.get("template") for step in steps] == [
        "AzureWebAppContainer@1", "../steps/health-gate.yaml", "AzureAppServiceManage@0",
        "../steps/health-gate.yaml", "AzureAppServiceManage@0",
    ]  # fmt: skip
    deploy, staging_gate, swap, production_gate, swap_back = steps
    assert deploy["inputs"]["slotName"] == "staging"
    assert staging_gate["parameters"]["url"].endswith("-staging.azurewebsites.net/health/ready")
    assert swap["inputs"]["Action"] == "Swap Slots"
    assert production_gate["parameters"]["url"].endswith(".azurewebsites.net/health/ready")
    # Swapped back only when production itself failed, not when the staging slot never got ready.
    variable = production_gate["parameters"]["failureVariable"]
    assert swap_back["condition"] == f"and(failed(), eq(variables.{variable}, 'true'))"


def test_rollback_redeploys_a_given_tag_without_migrating() -> None:
    rollback = load(PIPELINES / "rollback.yaml")
    assert rollback["trigger"] == "none"
    assert {p["name"] for p in rollback["parameters"]} == {"environment", "component", "tag"}
    deploys = [passed for source, reference, passed in template_references()
               if source.name == "rollback.yaml" and "stages/" in reference]  # fmt: skip
    assert len(deploys) == 3
    for passed in deploys:
        assert passed["imageTag"] == "${{ parameters.tag }}"
        assert passed.get("runMigrations", False) is False and passed.get("build", False) is False
