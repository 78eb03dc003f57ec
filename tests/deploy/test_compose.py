"""docker-compose.yml, validated by the compose CLI itself (`config`, no engine needed) and read back in
its normalised form."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from shared.jobs.kinds import catalog
from tests.deploy.tools import ROOT, run, tool

SERVICES = {"postgres", "redis", "azurite", "migrate", "api", "worker-ocr", "worker-embed", "worker-ai",
            "worker-webhooks", "beat", "flower", "frontend"}  # fmt: skip
USES_THE_DATABASE = {"api", "worker-ocr", "worker-embed", "worker-ai", "worker-webhooks", "beat", "flower"}
WORKER_QUEUES = {
    "worker-ocr": "ocr",
    "worker-embed": "embed",
    "worker-ai": "ai",
    "worker-webhooks": "webhooks",
    "beat": "maintenance",
}


@cache
def compose() -> dict[str, Any]:
    result = run(
        [tool("docker-compose"), "--file", ROOT / "docker-compose.yml", "config", "--format", "json"]
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_compose_config_is_clean() -> None:
    result = run([tool("docker-compose"), "--file", ROOT / "docker-compose.yml", "config", "--quiet"])
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_every_service_of_the_stack_is_there() -> None:
    assert set(compose()["services"]) == SERVICES


def test_redis_never_evicts_and_postgres_has_pgvector() -> None:
    services = compose()["services"]
    command = services["redis"]["command"]
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert services["postgres"]["image"].startswith("pgvector/pgvector:")
    assert "pg16" in services["postgres"]["image"]


def test_migrations_run_once_before_anything_that_uses_the_database() -> None:
    services = compose()["services"]
    migrate = services["migrate"]
    assert migrate["command"][-1] == "migrate" and migrate.get("restart", "no") == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in USES_THE_DATABASE:
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


def test_each_queue_has_its_own_worker_and_beat_runs_once() -> None:
    services = compose()["services"]
    images = {services[name]["image"] for name in WORKER_QUEUES}
    assert len(images) == 1, "every worker runs the same image"
    for name, queue in WORKER_QUEUES.items():
        command = services[name]["command"]
        assert command[:4] == ["celery", "-A", "worker.app", "worker"], name
        assert command[command.index("-Q") + 1] == queue, name
        assert command[command.index("-n") + 1] == f"{queue}@%h", name
    with_beat = [name for name, service in services.items() if "-B" in (service.get("command") or [])]
    assert with_beat == ["beat"]


def test_every_queue_the_job_kinds_name_has_a_worker() -> None:
    """The compose file cannot read the kinds' catalogue, so this test holds the two together."""
    assert set(WORKER_QUEUES.values()) == set(catalog().queues)


def test_the_stack_is_configured_for_its_own_services() -> None:
    services = compose()["services"]
    for name in USES_THE_DATABASE | {"migrate"}:
        env = services[name]["environment"]
        assert env["DATABASE_URL"].startswith("postgresql://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert "BlobEndpoint=http://azurite:10000/" in env["AZURE_STORAGE_CONNECTION_STRING"]
    assert services["frontend"]["environment"]["VITE_APP_API_URL"] == "http://localhost:8000"
    # Published on the loopback interface only: the local stack's credentials are public.
    for service in services.values():
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", port


def test_the_images_are_built_from_their_dockerfiles() -> None:
    services = compose()["services"]
    assert services["api"]["build"]["dockerfile"] == "api/Dockerfile"
    assert services["worker-ocr"]["build"]["dockerfile"] == "worker/Dockerfile"
    assert services["worker-ocr"]["build"]["args"]["LOCAL_ML"] == "1"  # local providers: no cloud account
    assert services["api"]["build"]["args"]["LOCAL_ML"] == "1"  # the API embeds search queries
    assert services["frontend"]["build"]["context"] == str(ROOT / "frontend")
    assert "flower" in services["flower"]["build"]["args"]["EXTRAS"].split(",")
