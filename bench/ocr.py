"""OCR engines on scanned pages: seconds per page and character error rate, all measured in this run.

Eight A4 pages of different text are printed to images (clean, rotated, noisy and blurred, small print,
rotated and noisy, dense small print at 300 dpi, serif, monospace) and put in an image-only PDF. Every engine reads the
same pages rendered from that PDF at 200 dpi, as our reader renders them:

- raw RapidOCR: `RapidOCR()` with its default configuration, engine call only;
- raw RapidOCR without its 0/180-degree line classifier (the configuration our provider uses);
- ours: `open_document(...).pages()` on the PDF: render + OCR + space restoration, per page;
- raw Tesseract 5 CLI: `tesseract page.png stdout --psm 3` (English), process start included.

Our provider's word-space restoration was tuned on DejaVu Sans pages; the last two pages use other
typefaces (serif, monospace) to show how far that carries.

Models are loaded before timing. CER is the edit distance over whitespace-normalised text divided by
the expected length.

    python -m bench.ocr
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import pypdfium2 as pdfium
from rapidocr_onnxruntime import RapidOCR

from bench.report import print_table
from shared.config import LimitsSettings, OcrSettings
from shared.pipeline.extract import open_document
from shared.providers.ocr import get_ocr_provider
from testkit.documents import FONT_PATH, character_error_rate, image_pdf, page_image

FONTS = FONT_PATH.parent

PAGES = [
    (
        "clean 12 pt",
        dict(font_pt=12),
        "Minutes of the board meeting held on 14 February 2024\n"
        "Present: A. Keller (chair), T. Baker, M. Schmidt, J. Doe.\n"
        "1. The board approved the budget for the new warehouse in Leipzig, with total costs of "
        "EUR 2.4 million spread over two financial years.\n"
        "2. The finance director reported that cash flow improved by 11 percent after the change of "
        "payment terms for large customers.\n"
        "3. The next meeting will take place on 10 April 2024 at the head office.",
    ),
    (
        "rotated 1.2 deg",
        dict(rotation=1.2),
        "Customer complaint CC-8841\n"
        "The customer reports that the delivery of 12 boxes arrived two days late and that one box "
        "was opened. Photos were attached to the email of 3 March. The driver confirmed the delay was "
        "caused by a road closure near Hanover. We offered a credit note of 15 percent of the freight "
        "charge and apologised for the inconvenience.",
    ),
    (
        "noisy + blurred",
        dict(noise=30, blur=0.9),
        "Safety instructions for forklift operators\n"
        "Always check the brakes, horn and lights before starting a shift. Never carry passengers and "
        "never lift loads above the rated capacity shown on the data plate. Keep the forks low while "
        "driving and look in the direction of travel. Report any damage to your supervisor at once.",
    ),
    (
        "small print 8 pt",
        dict(font_pt=8),
        "Terms of carriage. The carrier is liable for loss of or damage to the goods from the time of "
        "taking over until delivery. Liability is limited to 8.33 units of account per kilogram of gross "
        "weight. Claims must be notified in writing within seven days after delivery; concealed damage "
        "must be reported within fourteen days. The carrier is not liable for delay caused by strikes, "
        "severe weather or acts of public authorities. These terms are governed by the CMR convention.",
    ),
    (
        "rotated + noisy",
        dict(rotation=-0.8, noise=18),
        "Order confirmation PO-2024-3310\n"
        "Thank you for your order of 40 ergonomic office chairs, model Flex 200, in dark grey. "
        "The unit price is 189.00 EUR excluding VAT. Delivery is planned for week 18 to your site "
        "at Riverside Park, Reading. Please contact orders@example.co.uk with any questions.",
    ),
    (
        "dense 10 pt, 300 dpi",
        dict(font_pt=10, noise=8, dpi=300),
        "Quarterly review. Revenue in the first quarter reached 4.2 million euros, an increase of "
        "12 percent compared with the previous quarter. Growth was driven by new customers in the "
        "logistics sector and by higher average order values. Sales in the northern region grew "
        "fastest, while the southern region stayed flat. Customer churn fell from 6 to 4 percent after "
        "the loyalty programme was introduced. Operating costs rose slightly because of investments in "
        "training. We recommend extending the loyalty programme to the southern region and reviewing "
        "prices for small customers in the second quarter.",
    ),
    (
        "serif 11 pt, noisy",
        dict(font_pt=11, noise=15, font=FONTS / "DejaVuSerif.ttf"),
        "Dear Ms. Keller,\nThank you for your letter of 15 April. We have updated our records and will "
        "send all future deliveries to Unit 4, Riverside Park. Our accounts team will contact you about "
        "the open invoice INV-2024-0042 before the end of the month.\nKind regards, Tom Baker",
    ),
    (
        "monospace 10 pt",
        dict(font_pt=10, font=FONTS / "DejaVuSansMono.ttf"),
        "Shipment log 2024-05-02\n08:15 truck 7 loaded, 22 pallets, seal 448120\n"
        "09:40 departed Leipzig hub towards Hanover\n13:05 arrived customer site, unloading started\n"
        "14:30 delivery note signed by the warehouse manager, no damage reported",
    ),
]


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-ocr-"))
    try:
        run(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path) -> None:
    images = [
        page_image(text, seed=i, **{"dpi": 150, **options}) for i, (_, options, text) in enumerate(PAGES)
    ]
    pdf_path = work / "scanned.pdf"
    pdf_path.write_bytes(image_pdf(images))
    expected = [text for _, _, text in PAGES]
    settings = OcrSettings()
    rendered = render(pdf_path, settings.render_dpi, work)

    results: dict[str, list[tuple[float, str]]] = {}

    engine = RapidOCR()
    engine(np.asarray(rendered[0][0]))  # warm up
    results["raw RapidOCR, default config"] = [
        timed(lambda a=a: rapid_text(engine(a))) for a in arrays(rendered)
    ]
    no_cls = RapidOCR(use_cls=False)
    no_cls(np.asarray(rendered[0][0]))
    results["raw RapidOCR, classifier off"] = [
        timed(lambda a=a: rapid_text(no_cls(a, use_cls=False))) for a in arrays(rendered)
    ]

    provider = get_ocr_provider(settings)
    provider.recognize(rendered[0][0])  # warm up
    reader = open_document(pdf_path, "application/pdf", provider, settings, LimitsSettings())
    ours: list[tuple[float, str]] = []
    started = time.perf_counter()
    for page in reader.pages():
        now = time.perf_counter()
        ours.append((now - started, page.text))
        started = now
    reader.close()
    results["ours: open_document().pages() (render + OCR)"] = ours

    if shutil.which("tesseract"):
        subprocess.run(
            ["tesseract", str(rendered[0][1]), "stdout", "--psm", "3"], capture_output=True, check=True
        )
        results["raw Tesseract 5 CLI, --psm 3"] = [timed(lambda p=p: tesseract_text(p)) for _, p in rendered]
    else:
        print("tesseract is not installed (apt-get install tesseract-ocr): its row is left out")

    summary = []
    for name, outcome in results.items():
        seconds = [s for s, _ in outcome]
        cers = [character_error_rate(e, text) for e, (_, text) in zip(expected, outcome, strict=True)]
        summary.append([name, len(outcome), statistics.mean(seconds), statistics.mean(cers), max(cers)])
    print_table(
        f"OCR on {len(PAGES)} scanned A4 pages rendered at {settings.render_dpi} dpi, 2 CPU cores",
        ["path", "pages", "s/page", "mean CER", "worst CER"],
        summary,
    )
    per_page = [
        [label, *(character_error_rate(expected[i], outcome[i][1]) for outcome in results.values())]
        for i, (label, _, _) in enumerate(PAGES)
    ]
    print_table("CER per page", ["page", *results], per_page)


def render(pdf_path: Path, dpi: int, work: Path) -> list[tuple[object, Path]]:
    pdf = pdfium.PdfDocument(pdf_path)
    pages = []
    for index, page in enumerate(pdf):
        image = page.render(scale=dpi / 72, grayscale=True).to_pil().copy()
        path = work / f"page-{index + 1}.png"
        image.save(path)
        pages.append((image, path))
        page.close()
    pdf.close()
    return pages


def arrays(rendered: list[tuple[object, Path]]) -> list[np.ndarray]:
    return [np.asarray(image) for image, _ in rendered]


def timed(read) -> tuple[float, str]:
    started = time.perf_counter()
    text = read()
    return time.perf_counter() - started, text


def rapid_text(output) -> str:
    found, _ = output
    return "\n".join(text for _, text, _ in found or ())


def tesseract_text(path: Path) -> str:
    done = subprocess.run(
        ["tesseract", str(path), "stdout", "--psm", "3"], capture_output=True, text=True, check=True
    )
    return done.stdout


if __name__ == "__main__":
    main()
