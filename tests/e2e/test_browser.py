"""The web app in a real browser: Debian's Chromium driven by playwright-core (tests/e2e/*.test.mjs,
Node's own test runner) against the session's running product, which serves the built app at `/`.

Each spec file is one pytest case; its steps, their output and a JUnit report land in artifacts/e2e/,
with the screenshots the steps take.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cli.stack.stack import Stack
from testkit import documents as make
from tests import zips

pytestmark = pytest.mark.stack

E2E = Path(__file__).resolve().parent
ROOT = E2E.parent.parent
ARTIFACTS = ROOT / "artifacts" / "e2e"
SPECS = sorted(E2E.glob("*.test.mjs"))

INVOICE_PAGES = [
    "INVOICE No. INV-2031-0007\nDate: 3 February 2031\nBill to: Northwind Traders, 4 Harbour Road\n"
    "Description: restoration of the lighthouse lantern room\nTotal amount due: EUR 8,400.00",
    "Terms: payment within 30 days.\nThe copper cupola was polished and the brass fittings replaced.",
]
RECEIPT_TEXT = "Harbour bakery receipt\nTwo sourdough loaves and one almond croissant\nPaid in cash"


@pytest.fixture(scope="module")
def e2e_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Real documents for the browser to upload: a two-page PDF with a text layer, a photo-like PNG that
    needs OCR, a program pretending to be a PDF, a PDF over the suite's 10 MB upload limit, and a ZIP
    batch of one good file and one whose name climbs out of the archive."""
    folder = tmp_path_factory.mktemp("e2e-files")
    (folder / "lighthouse-invoice.pdf").write_bytes(make.text_pdf(INVOICE_PAGES))
    (folder / "bakery-receipt.png").write_bytes(make.png(RECEIPT_TEXT))
    (folder / "notes.txt").write_bytes(make.txt("Meeting notes about the harbour festival budget."))
    (folder / "tool.pdf").write_bytes(b"MZ\x90\x00" + bytes(4096))
    big = make.text_pdf(["large"]) + b"%" + b"0" * (11 * 1024 * 1024)
    (folder / "too-large.pdf").write_bytes(big)
    notes = make.txt("Harbour master's notes: the north pier reopens after the storm repairs.")
    (folder / "harbour-batch.zip").write_bytes(
        zips.archive([("notes/pier.txt", notes), ("../escape.txt", notes)])
    )
    return folder


def _chromium() -> str:
    path = shutil.which("chromium")
    assert path, "Debian's chromium is not installed: `make test` installs it (apt-get install chromium)"
    return path


@pytest.mark.parametrize("spec", SPECS, ids=[spec.stem.removesuffix(".test") for spec in SPECS])
def test_web_app_in_browser(spec: Path, stack: Stack, e2e_files: Path) -> None:
    assert (ROOT / "frontend" / "dist" / "index.html").is_file(), (
        "the web app is not built: `make test` builds it"
    )
    assert (E2E / "node_modules" / "playwright-core").is_dir(), "`make test` installs tests/e2e (npm ci)"
    name = spec.name.removesuffix(".test.mjs")
    out = ARTIFACTS / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    env = os.environ | {
        "WORKOPTI_URL": stack.api_url,
        "E2E_FILES": str(e2e_files),
        "E2E_SCREENSHOTS": str(ARTIFACTS / "screenshots"),
        "CHROMIUM": _chromium(),
    }
    result = subprocess.run(
        ["node", "--test", "--test-concurrency=1",
         "--test-reporter=spec", "--test-reporter-destination=stdout",
         "--test-reporter=junit", f"--test-reporter-destination={out / 'junit.xml'}", str(spec)],
        cwd=E2E, env=env, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    (out / "output.txt").write_text(result.stdout + "\n" + result.stderr)
    print(result.stdout)
    assert result.returncode == 0, f"{spec.name} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    report = (out / "junit.xml").read_text()
    assert "<testcase" in report, f"{spec.name} ran no test"
