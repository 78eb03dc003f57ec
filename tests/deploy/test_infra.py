"""The Bicep under infra/: checkov clean (or each finding skipped in place, with a reason, and every
skip still needed), and every parameter file and module call matching the parameters it feeds."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from shared.jobs.kinds import catalog
from tests.deploy.tools import ROOT, run, tool

INFRA = ROOT / "infra"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))
PARAM_FILES = sorted((INFRA / "params").glob("*.bicepparam"))
SKIP = re.compile(r"checkov:skip=([A-Z0-9_]+)(?::(.*))?")


@cache
def checkov() -> dict[str, Any]:
    # Offline: no check updates, no guideline lookups.
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    argv = [tool("checkov"), "--directory", INFRA, "--framework", "bicep", "--skip-download", "-o", "json"]
    result = run(argv, env=env)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    return json.loads(result.stdout)


def test_checkov_finds_nothing_unjustified() -> None:
    report = checkov()
    summary = report["summary"]
    failed = [f"{c['check_id']} {c['file_path']} {c['resource']}: {c['check_name']}"
              for c in report["results"]["failed_checks"]]  # fmt: skip
    assert not failed, "\n".join(failed)
    assert summary["parsing_errors"] == 0, "checkov could not parse a Bicep file (pycep grammar)"
    assert summary["passed"] > 30 and summary["resource_count"] > 30


def test_every_skip_gives_its_reason_and_is_still_needed() -> None:
    used = {(Path(c["file_path"].lstrip("/")).as_posix(), c["check_id"])
            for c in checkov()["results"].get("skipped_checks", [])}  # fmt: skip
    skips = 0
    for path in BICEP_FILES:
        for match in SKIP.finditer(path.read_text()):
            skips += 1
            where = f"{path.relative_to(ROOT)}: {match.group(1)}"
            assert match.group(2) and len(match.group(2).strip()) >= 20, f"{where}: say why it is skipped"
            assert (path.relative_to(INFRA).as_posix(), match.group(1)) in used, (
                f"{where}: suppresses nothing"
            )
    assert skips


# --- parameters -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    name: str
    required: bool


def declared_params(path: Path) -> dict[str, Param]:
    params = {}
    for match in re.finditer(r"^param (\w+) [\w.\[\]']+( = .*)?$", path.read_text(), flags=re.MULTILINE):
        params[match.group(1)] = Param(match.group(1), required=match.group(2) is None)
    return params


def _strip_comments_and_strings(text: str) -> str:
    """Blanks out // comments and '...' strings (keeping length), so braces inside them are not counted."""
    out, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text[i] == "'":
            j = i + 1
            while j < n and text[j] != "'":
                j += 2 if text[j] == "\\" else 1
            out.append("'" + " " * (j - i - 1) + "'")
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _block(code: str, open_brace: int) -> str:
    depth = 0
    for i in range(open_brace, len(code)):
        depth += {"{": 1, "}": -1}.get(code[i], 0)
        if depth == 0:
            return code[open_brace + 1 : i]
    raise AssertionError("unbalanced braces")


def _top_level_keys(block: str) -> set[str]:
    keys, depth = set(), 0
    for line in block.splitlines():
        if depth == 0 and (match := re.match(r"^\s*(\w+):", line)):
            keys.add(match.group(1))
        depth += line.count("{") + line.count("[") - line.count("}") - line.count("]")
    return keys


def module_calls() -> list[tuple[Path, str, Path, set[str]]]:
    calls = []
    for path in BICEP_FILES:
        text = path.read_text()
        code = _strip_comments_and_strings(text)
        for match in re.finditer(r"^module (\w+) '([^']+)' = (\[for [^:]+: )?\{", text, flags=re.MULTILINE):
            body = _block(code, match.end() - 1)
            params_at = re.search(r"^\s*params: \{", body, flags=re.MULTILINE)
            passed = set()
            if params_at:
                start = code.index("{", match.end() - 1 + 1 + params_at.start())
                passed = _top_level_keys(_block(code, start))
            calls.append((path, match.group(1), path.parent / match.group(2), passed))
    return calls


def test_every_module_gets_the_parameters_it_declares() -> None:
    calls = module_calls()
    assert len(calls) >= 15
    for path, name, target, passed in calls:
        where = f"{path.relative_to(ROOT)}: module {name}"
        assert target.is_file(), f"{where}: {target} does not exist"
        declared = declared_params(target)
        assert passed <= set(declared), f"{where}: unknown parameters {sorted(passed - set(declared))}"
        missing = {p.name for p in declared.values() if p.required} - passed
        assert not missing, f"{where}: missing parameters {sorted(missing)}"


@pytest.mark.parametrize("path", PARAM_FILES, ids=lambda p: p.name)
def test_every_parameter_file_matches_its_template(path: Path) -> None:
    text = path.read_text()
    using = re.search(r"^using '([^']+)'$", text, flags=re.MULTILINE)
    assert using, f"{path.name}: no `using` line"
    template = (path.parent / using.group(1)).resolve()
    assert template.is_file()
    declared = declared_params(template)
    assigned = set(re.findall(r"^param (\w+) = ", text, flags=re.MULTILINE))
    assert assigned <= set(declared), f"{path.name}: unknown parameters {sorted(assigned - set(declared))}"
    missing = {p.name for p in declared.values() if p.required} - assigned
    assert not missing, f"{path.name}: missing parameters {sorted(missing)}"
    # Secrets never sit in a parameter file.
    for secret in ("postgresAdministratorPassword", "authSecret", "clerkPublishableKey"):
        if secret in assigned:
            assert re.search(rf"^param {secret} = readEnvironmentVariable\(", text, flags=re.MULTILINE), (
                secret
            )


def test_there_is_a_parameter_file_per_environment() -> None:
    names = {p.stem for p in PARAM_FILES}
    assert {"dev", "showcase", "prod"} <= names
    for env in ("dev", "showcase", "prod"):
        assert f"param environmentName = '{env}'" in (INFRA / "params" / f"{env}.bicepparam").read_text()
    prod = (INFRA / "params" / "prod.bicepparam").read_text()
    assert "param postgresGeoRedundantBackup = 'Enabled'" in prod


def test_the_resources_the_product_needs_are_declared() -> None:
    types = set()
    for path in BICEP_FILES:
        types |= set(re.findall(r"^resource \w+ '([\w./]+)@", path.read_text(), flags=re.MULTILINE))
    for needed in ("Microsoft.ContainerRegistry/registries", "Microsoft.Web/sites", "Microsoft.Web/sites/slots",
                   "Microsoft.DBforPostgreSQL/flexibleServers", "Microsoft.Storage/storageAccounts",
                   "Microsoft.Cache/redis", "Microsoft.KeyVault/vaults", "Microsoft.Insights/components",
                   "Microsoft.Cdn/profiles", "Microsoft.ManagedIdentity/userAssignedIdentities"):  # fmt: skip
        assert needed in types, needed
    postgres = (INFRA / "modules" / "postgres.bicep").read_text()
    assert "name: 'require_secure_transport'" in postgres and "value: 'VECTOR'" in postgres
    # Settings checkov has no Bicep check for.
    redis = (INFRA / "modules" / "redis.bicep").read_text()
    assert "'maxmemory-policy': 'noeviction'" in redis
    assert "enableNonSslPort: false" in redis and "minimumTlsVersion: '1.2'" in redis
    assert "backupRetentionDays: backupRetentionDays" in postgres
    assert "enablePurgeProtection: true" in (INFRA / "modules" / "keyvault.bicep").read_text()
    main = (INFRA / "main.bicep").read_text()
    declared = set(re.findall(r"\{ name: '[\w-]+', queue: '([\w-]+)'", main))
    assert declared == set(catalog().queues), "a web app per queue the job kinds name (shared/jobs/kinds.py)"
