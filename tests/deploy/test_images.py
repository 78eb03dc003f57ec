"""The three Dockerfiles, validated without building them: hadolint, what they copy, how they install,
who they run as, and the web app's runtime configuration script."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from api.edge import PERMISSIONS_POLICY
from api.spa import runtime_config
from shared.config import EdgeSettings, ServerSettings
from tests.deploy.tools import ROOT, run, tool


@dataclass(frozen=True)
class Image:
    dockerfile: Path
    context: Path


IMAGES = {
    "api": Image(ROOT / "api" / "Dockerfile", ROOT),
    "worker": Image(ROOT / "worker" / "Dockerfile", ROOT),
    "frontend": Image(ROOT / "frontend" / "Dockerfile", ROOT / "frontend"),
}
PYTHON_IMAGES = ("api", "worker")


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", "\n".join(
        line for line in dockerfile.read_text().splitlines() if not line.lstrip().startswith("#")
    ))  # fmt: skip
    result = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            result.append((keyword.upper(), rest.strip()))
    return result


def final_stage(dockerfile: Path) -> list[tuple[str, str]]:
    steps = instructions(dockerfile)
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def ignored(context: Path, relative: str) -> bool:
    """Whether the context's .dockerignore keeps `relative` (or a folder holding it) out of the build."""
    ignore_file = context / ".dockerignore"
    if not ignore_file.exists():
        return False
    patterns = [
        line.strip()
        for line in ignore_file.read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    parts = Path(relative).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if any(fnmatch.fnmatch(c, pattern) or fnmatch.fnmatch(c, f"**/{pattern}") for c in candidates):
            excluded = not negate
    return excluded


@pytest.mark.parametrize("name", IMAGES)
def test_hadolint_finds_nothing(name: str) -> None:
    result = run([tool("hadolint"), "--no-color", IMAGES[name].dockerfile])
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", IMAGES)
def test_every_copied_path_exists_and_is_not_ignored(name: str) -> None:
    image = IMAGES[name]
    copies = [args for keyword, args in instructions(image.dockerfile) if keyword in ("COPY", "ADD")]
    assert copies
    for args in copies:
        words = [w for w in shlex.split(args) if not w.startswith("--")]
        if "--from=" in args:
            continue  # copied from a build stage, not from the context
        for source in words[:-1]:
            assert (image.context / source).exists(), f"{name}: COPY {source}: not in {image.context}"
            assert not ignored(image.context, source.rstrip("/")), (
                f"{name}: COPY {source}: excluded by .dockerignore"
            )


@pytest.mark.parametrize("name", IMAGES)
def test_bases_are_pinned_to_an_exact_version(name: str) -> None:
    bases = [args.split()[0] for keyword, args in instructions(IMAGES[name].dockerfile) if keyword == "FROM"]
    assert bases
    for base in bases:
        assert re.search(r":\d+\.\d+\.\d+-", base), f"{name}: {base} is not pinned to an exact release"


@pytest.mark.parametrize("name", IMAGES)
def test_runs_as_a_non_root_user_with_a_health_check(name: str) -> None:
    stage = final_stage(IMAGES[name].dockerfile)
    users = [args for keyword, args in stage if keyword == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root"), f"{name} runs as root"
    assert any(keyword == "HEALTHCHECK" for keyword, _ in stage), f"{name} has no HEALTHCHECK"


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_dependencies_install_from_the_lock_before_the_source_is_copied(name: str) -> None:
    steps = instructions(IMAGES[name].dockerfile)
    text = [f"{keyword} {args}" for keyword, args in steps]
    lock = next(i for i, line in enumerate(text) if line.startswith("COPY requirements/lock.txt"))
    install = next(
        i for i, line in enumerate(text) if line.startswith("RUN") and "-c requirements/lock.txt" in line
    )
    source = next(i for i, line in enumerate(text) if line.startswith("COPY shared/"))
    assert lock < install < source
    # torch only from the CPU index, at the locked version (its PyPI build pulls CUDA).
    assert "https://download.pytorch.org/whl/cpu" in text[install]
    assert "--no-deps" in text[install]


def _requirements_script(dockerfile: Path) -> str:
    match = re.search(r"python -c '([^']+)' \"\$extras\"", dockerfile.read_text())
    assert match, f"{dockerfile}: the step that reads the requirements from pyproject.toml is missing"
    return match.group(1)


def _build_arg(dockerfile: Path, name: str) -> str:
    match = re.search(rf"^ARG {name}=(\S+)$", dockerfile.read_text(), flags=re.MULTILINE)
    assert match, f"{dockerfile}: no ARG {name}"
    return match.group(1)


@pytest.mark.parametrize("name", PYTHON_IMAGES)
def test_the_image_installs_exactly_its_extras(name: str, tmp_path: Path) -> None:
    """Runs the image's own requirements step (as the build would) against pyproject.toml."""
    dockerfile = IMAGES[name].dockerfile
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = _build_arg(dockerfile, "EXTRAS").split(",")
    assert "cli" in extras, "the deploy pipelines run `python -m cli.main migrate` in this image"
    for with_ml in (False, True):
        chosen = extras + (["local-ml"] if with_ml else [])
        result = run(["python3", "-c", _requirements_script(dockerfile), ",".join(chosen)])
        assert result.returncode == 0, result.stderr
        expected = project["dependencies"] + [r for e in chosen for r in project["optional-dependencies"][e]]
        assert result.stdout.split("\n")[:-1] == expected


def test_the_worker_image_holds_what_its_command_and_probe_need() -> None:
    text = IMAGES["worker"].dockerfile.read_text()
    assert '"-A", "worker.app", "worker", "-Q"' in text
    assert "/srv/probe" in text  # served beside Celery on App Service (infra/main.bicep)
    assert "COPY worker/ worker/" in text and "COPY cli/ cli/" in text


# --- the web app's image ------------------------------------------------------------------------------

ENTRYPOINT = ROOT / "frontend" / "docker-entrypoint.sh"
NGINX = ROOT / "frontend" / "nginx"


def write_config(tmp_path: Path, **env: str) -> str:
    target = tmp_path / "config.js"
    result = run(
        ["sh", ENTRYPOINT], env={"PATH": os.environ["PATH"], "WORKOPTI_CONFIG_JS": str(target), **env}
    )
    assert result.returncode == 0, result.stderr
    return target.read_text()


@pytest.mark.parametrize(
    "api_url, clerk_key",
    [
        ("", None),
        ("https://api.example.com", "pk_live_abc123"),
        ('https://x.example/"quoted"\\path</script>', "pk_test_<b>"),
    ],
)
def test_the_container_writes_the_same_config_js_as_the_api(
    tmp_path: Path, api_url: str, clerk_key: str | None
) -> None:
    env = {"VITE_APP_API_URL": api_url}
    if clerk_key is not None:
        env["VITE_CLERK_PUBLISHABLE_KEY"] = clerk_key
    written = write_config(tmp_path, **env)
    served = runtime_config(ServerSettings(VITE_APP_API_URL=api_url, VITE_CLERK_PUBLISHABLE_KEY=clerk_key))
    assert written == served
    prefix = "window.__WORKOPTI_CONFIG__ = "
    config = json.loads(written.removeprefix(prefix).rstrip().removesuffix(";"))
    assert config == {"apiUrl": api_url, "clerkPublishableKey": clerk_key}
    assert "</script>" not in written


def test_nginx_serves_the_app_with_its_fallback_caching_and_headers() -> None:
    site = (NGINX / "default.conf.template").read_text()
    headers = (NGINX / "security-headers.inc.template").read_text()
    assert "try_files $uri $uri/ /index.html;" in site  # client-side routes get the app
    assert "listen 8080;" in site  # the unprivileged image cannot bind 80

    def location(path: str) -> str:
        match = re.search(rf"location {re.escape(path)} \{{(.*?)\n    \}}", site, flags=re.DOTALL)
        assert match, f"no location {path}"
        return match.group(1)

    assert "immutable" in location("/assets/") and "=404" in location("/assets/")
    for path in ("= /config.js", "= /index.html", "/"):
        block = location(path)
        assert 'Cache-Control "no-cache"' in block, path
        # add_header in a location drops the server's, so each one includes the security headers.
        assert "include /etc/nginx/conf.d/security-headers.inc;" in block, path
    assert "root /var/lib/workopti-web;" in location("= /config.js")
    assert f'Permissions-Policy "{PERMISSIONS_POLICY}"' in headers
    for name in ("X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy",
                 "Content-Security-Policy", "Strict-Transport-Security"):  # fmt: skip
        assert f"add_header {name} " in headers


def test_the_web_image_defaults_to_the_api_content_security_policy() -> None:
    dockerfile = IMAGES["frontend"].dockerfile.read_text()
    default = EdgeSettings.model_fields["content_security_policy"].default
    assert f'CONTENT_SECURITY_POLICY="{default}"' in dockerfile
    # The entrypoint runs from the base image's /docker-entrypoint.d/ and writes where nginx serves from.
    assert "/docker-entrypoint.d/" in dockerfile
    assert "/var/lib/workopti-web" in ENTRYPOINT.read_text()
