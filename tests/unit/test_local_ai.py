"""Local embeddings and local analysis on realistic documents, with the real model."""

from __future__ import annotations

import itertools
import math

import pytest

from shared.config import EmbeddingsSettings, LlmSettings, Settings
from shared.extraction.patterns import parse_amount
from shared.providers.embeddings import get_embedding_provider
from shared.providers.llm import get_analysis_provider
from shared.providers.llm.fields import extract_fields
from shared.providers.llm.local import LocalAnalysisProvider, is_summary_sentence, split_sentences

INVOICE = """\
ACME Logistics GmbH · Hauptstraße 5 · 10115 Berlin
Tel. +49 30 1234567 · Fax 030 7654321 · billing@ACME-logistics.de

INVOICE
Invoice No. INV-2024-0042
Invoice date: 12 March 2024
Due date: 11.04.2024
Customer ID: C-10023
PO #4711
Ref: ABC-123

Description                     Qty   Unit price     Total
Warehouse storage, March          1   EUR 1.234,56   EUR 1.234,56
Last-mile delivery               12   € 45.00        € 540.00
Express surcharge                 1   $ 3.50         $ 3.50

Subtotal: 1,778.06 EUR
VAT 19%: 337.83 EUR
Total due: 2,115.89 EUR

Please pay by 2024-04-11 to IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX.
Questions? Call our US office at +1 (415) 555-0132 or write to support@acme-logistics.de.
Version 1.2.3, build 10.10.10, serial 12/34/5678.
"""

RESUME = """\
JANE DOE
Senior Data Engineer
jane.doe@example.com | +44 20 7946 0958 | London, United Kingdom

PROFILE
Data engineer with eight years of experience building batch and streaming data platforms for retail and fintech companies. I design reliable pipelines, mentor junior engineers and care about data quality.

EXPERIENCE
Lead Data Engineer, Northwind Retail, London (2020 - present)
Designed a streaming platform on Kafka and Spark processing 2 billion events per day. Led a team of five engineers and introduced data contracts and automated testing.

Data Engineer, FinCorp Ltd, Manchester (2016 - 2020)
Built ETL pipelines in Python and Airflow, migrated the warehouse to Snowflake and cut reporting latency from hours to minutes.

EDUCATION
MSc Computer Science, University of Edinburgh, 2016
BSc Mathematics, University of Leeds, 2014

SKILLS
Python, SQL, Spark, Kafka, Airflow, dbt, Snowflake, AWS, Terraform, Docker, Kubernetes

LANGUAGES
English (native), German (fluent), Spanish (basic)
"""

CONTRACT = """\
SERVICE AGREEMENT

This Service Agreement (the "Agreement") is entered into as of 1 July 2024 (the "Effective Date") by and between Acme Logistics GmbH, a company organised under the laws of Germany ("Supplier"), and Northwind Traders Ltd, a company registered in England ("Customer").

1. Services. The Supplier shall provide warehousing, inventory management and delivery services as described in Schedule A (the "Services").

2. Term. This Agreement commences on the Effective Date and continues for an initial term of twenty-four (24) months, renewing automatically for successive twelve-month periods unless either party gives ninety (90) days' written notice of non-renewal.

3. Fees and Payment. The Customer shall pay the fees set out in Schedule B within thirty (30) days of receipt of a valid invoice. Late payments bear interest at the statutory rate.

4. Confidentiality. Each party shall keep confidential all information disclosed by the other party and shall not use it except to perform its obligations under this Agreement.

5. Liability. Neither party shall be liable for indirect or consequential losses. The Supplier's total liability shall not exceed the fees paid in the twelve months preceding the claim.

6. Termination. Either party may terminate this Agreement with immediate effect if the other party commits a material breach and fails to remedy it within thirty (30) days of notice.

7. Governing Law. This Agreement is governed by the laws of England and Wales.

IN WITNESS WHEREOF the parties have signed this Agreement on the Effective Date.

Signed for Acme Logistics GmbH: ____________________   Signed for Northwind Traders Ltd: ____________________
"""


@pytest.fixture(scope="module")
def embeddings():
    return get_embedding_provider(Settings(embeddings=EmbeddingsSettings()))


@pytest.fixture(scope="module")
def analyzer(embeddings):
    return get_analysis_provider(Settings(llm=LlmSettings()), embeddings)


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# --- embeddings ------------------------------------------------------------------------------------


def test_embedding_provider_describes_its_model(embeddings):
    assert embeddings.key == "local:all-MiniLM-L6-v2"
    assert (embeddings.provider, embeddings.model) == ("local", "all-MiniLM-L6-v2")
    assert embeddings.dimensions == 384
    assert embeddings.max_input_tokens == 254
    assert get_embedding_provider(Settings(embeddings=EmbeddingsSettings())) is embeddings


def test_vectors_are_unit_length_in_input_order_and_independent_of_batching(embeddings):
    texts = ["invoice payment due", "a bill that must be paid", "hiking in the mountains", "", "x" * 5000]
    vectors = embeddings.embed(texts)
    small_batches = get_embedding_provider(Settings(embeddings=EmbeddingsSettings(batch_size=2))).embed(texts)

    assert len(vectors) == len(texts)
    assert all(len(v) == 384 and math.isclose(math.sqrt(cosine(v, v)), 1.0, rel_tol=1e-4) for v in vectors)
    for one, other in zip(vectors, small_batches, strict=True):
        assert cosine(one, other) > 0.9999
    assert embeddings.embed_query(texts[1]) == pytest.approx(vectors[1], abs=1e-5)
    assert cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2
    assert embeddings.embed([]) == []


def test_token_spans_are_the_model_tokens_without_special_tokens(embeddings):
    text = "Invoice INV-2024 for naïve café"
    spans = embeddings.token_spans(text)

    pieces = [text[s:e] for s, e in spans]
    assert "".join(pieces) == text.replace(" ", "")  # every character in exactly one token, in order
    assert all(s < e <= next_s for (s, e), (next_s, _) in itertools.pairwise(spans))
    assert [text[s:e] for s, e in spans][-2:] == ["naïve", "café"]
    assert embeddings.token_spans("") == []
    assert len(embeddings.token_spans("word " * 1000)) == 1000  # no truncation, no [CLS]/[SEP]


# --- key fields ------------------------------------------------------------------------------------


def values(fields, name):
    return [item["value"] for item in fields[name]]


def test_key_fields_of_an_invoice():
    fields = extract_fields([(1, INVOICE), (2, "Page 2 repeats Invoice No. INV-2024-0042.")])

    assert values(fields, "emails") == ["billing@acme-logistics.de", "support@acme-logistics.de"]
    assert values(fields, "phone_numbers") == ["+49301234567", "+49307654321", "+14155550132"]
    assert values(fields, "dates") == ["2024-03-12", "2024-04-11"]
    assert [(a["value"], a["currency"]) for a in fields["amounts"]] == [
        ("1234.56", "EUR"),
        ("45.00", "EUR"),
        ("540.00", "EUR"),
        ("3.50", "USD"),
        ("1778.06", "EUR"),
        ("337.83", "EUR"),
        ("2115.89", "EUR"),
    ]
    references = {(r["kind"], r["value"]) for r in fields["references"]}
    assert {("invoice", "INV-2024-0042"), ("order", "4711"), ("reference", "ABC-123")} <= references
    # One entry per value, with the text as found and the page of its first occurrence.
    invoice_numbers = [r for r in fields["references"] if r["value"] == "INV-2024-0042"]
    assert invoice_numbers == [
        {"value": "INV-2024-0042", "kind": "invoice", "text": "Invoice No. INV-2024-0042", "page": 1}
    ]
    assert fields["emails"][0]["text"] == "billing@ACME-logistics.de"


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("Total 1,234.56 EUR", "1234.56", "EUR"),
        ("Summe 1.234,56 €", "1234.56", "EUR"),
        ("Fee EUR 12", "12", "EUR"),
        ("Coffee $ 3.50", "3.50", "USD"),
        ("Price £1,000", "1000", "GBP"),
        ("Betrag: CHF 1'250.00", "1250.00", "CHF"),
    ],
)
def test_amounts_in_either_convention(text, value, currency):
    [amount] = extract_fields([(1, text)])["amounts"]
    assert (amount["value"], amount["currency"]) == (value, currency)


def test_parse_amount():
    assert str(parse_amount("1.234")) == "1234"
    assert str(parse_amount("1 234,5")) == "1234.5"
    assert str(parse_amount("0,99")) == "0.99"


def test_no_dates_or_amounts_in_ids_versions_and_account_numbers():
    text = (
        "Version 1.2.3, build 10.10.10, serial 12/34/5678, order INV-2024-0042, "
        "IBAN DE89 3704 0044 0532 0130 00, quantity 1.234,56 kg, invalid 31.02.2024, call 4711234567."
    )
    fields = extract_fields([(1, text)])
    assert fields["dates"] == []
    assert fields["amounts"] == []
    assert fields["phone_numbers"] == []  # no country hint in the text: national numbers are not guessed


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("on 2024-04-30", "2024-04-30"),
        ("am 30.04.2024", "2024-04-30"),
        ("on 30/04/2024", "2024-04-30"),
        ("on 04/30/2024", "2024-04-30"),
        ("on 30 April 2024", "2024-04-30"),
        ("on April 30, 2024", "2024-04-30"),
        ("am 30. April 2024", "2024-04-30"),
        ("le 1er mars 2024", None),
        ("on 1st Sept 2024", "2024-09-01"),
    ],
)
def test_dates_in_common_formats(text, iso):
    assert values(extract_fields([(1, text)]), "dates") == ([iso] if iso else [])


def test_phone_numbers_with_and_without_a_country_code():
    fields = extract_fields([(1, "Call +44 20 7946 0958 or 020 7946 0000, or 0049 30 1234567.")])
    assert values(fields, "phone_numbers") == ["+442079460958", "+442079460000", "+49301234567"]
    no_hint = extract_fields([(1, "Call 0049 30 1234567 or 030 7654321.")])
    # "00" is read as the international prefix; the national number is not guessed without a hint...
    assert values(no_hint, "phone_numbers") == ["+49301234567"]
    # ...while an e-mail domain is hint enough.
    with_domain = extract_fields([(1, "Call 030 7654321 or write to info@example.de.")])
    assert values(with_domain, "phone_numbers") == ["+49307654321"]


# --- analysis --------------------------------------------------------------------------------------


def test_the_model_name_says_what_made_the_results(analyzer):
    assert analyzer.provider == "local"
    assert analyzer.model == "extractive+keybert+all-MiniLM-L6-v2"


@pytest.mark.parametrize(
    ("text", "label"), [(INVOICE, "invoice"), (RESUME, "resume"), (CONTRACT, "contract")]
)
def test_classification(analyzer, text, label):
    classification = analyzer.analyze([(1, text)]).classification
    assert classification is not None
    assert classification.label == label
    assert 0.5 < classification.score <= 1.0


def test_summary_is_central_sentences_of_the_document_in_their_order(analyzer):
    cut = CONTRACT.index("\n\n", 1200)
    analysis = analyzer.analyze([(1, CONTRACT[:cut]), (2, CONTRACT[cut:])])
    sentences = split_sentences(CONTRACT)
    chosen = [s for s in sentences if s in analysis.summary]

    assert len(chosen) == LlmSettings().summary_sentences
    assert analysis.summary == " ".join(chosen)
    assert all(len(s.split()) >= 5 for s in chosen)


REPORT_WITH_LISTS = """\
Contents
1 Introduction ........ 2
2 Findings ........ 3
3 Outlook ........ 5

Page 2 of 5
The survey asked four hundred residents how they travel to work each day.
• Most residents cycle to work when the weather allows it.
• Buses are used mainly in winter
3. The council plans two new cycle lanes along the harbour road.
The survey shows that cycling has doubled since the lanes were widened in 2019.
Residents who drive name the lack of safe crossings as their main reason.
"""


@pytest.mark.parametrize(
    "fragment",
    [
        "• Most residents cycle to work when the weather allows it.",
        "- Most residents cycle to work when the weather allows it.",
        "3. The council plans two new cycle lanes along the harbour road.",
        "b) the council plans two new cycle lanes along the road.",
        "Page 2 of 5 The survey asked four hundred residents how they travel.",
        "2 Findings of the survey among residents ........ 3",
        "Findings of the survey among all the residents 3",
        "the survey asked four hundred residents how they travel.",
    ],
)
def test_a_fragment_is_not_a_summary_sentence(fragment):
    assert not is_summary_sentence(fragment)


def test_a_summary_reads_as_sentences(analyzer):
    summary = analyzer.analyze([(1, REPORT_WITH_LISTS)]).summary
    chosen = split_sentences(summary)
    assert len(chosen) == LlmSettings().summary_sentences
    for sentence in chosen:
        assert sentence in split_sentences(REPORT_WITH_LISTS)
        assert sentence[0].isupper() and sentence.endswith(".")
        assert "...." not in sentence and not sentence.startswith(("Page", "3.", "Contents"))


def test_keywords_are_relevant_and_diverse(analyzer):
    contract = analyzer.analyze([(1, CONTRACT)]).keywords
    resume = analyzer.analyze([(1, RESUME)]).keywords

    assert 0 < len(contract) <= LlmSettings().keywords
    assert any(k in contract for k in ("service agreement", "liability", "total liability", "termination"))
    assert any(k in resume for k in ("data engineer", "etl", "pipelines", "python", "data platforms"))
    assert not any(k.isdigit() for k in contract + resume)
    assert len(set(contract)) == len(contract)


def test_analysis_is_deterministic(analyzer):
    pages = [(1, INVOICE), (2, CONTRACT)]
    assert analyzer.analyze(pages) == analyzer.analyze(pages)


def test_an_empty_document(analyzer):
    analysis = analyzer.analyze([(1, "  "), (2, "")])
    assert (analysis.summary, analysis.classification, analysis.keywords) == ("", None, [])
    assert all(items == [] for items in analysis.fields.values())


def test_input_beyond_the_character_budget_is_not_read(embeddings):
    analyzer = LocalAnalysisProvider(LlmSettings(max_input_chars=1000), embeddings)
    pages = [(1, CONTRACT[:990]), (2, "Contact late@example.com for details about this agreement.")]
    fields = analyzer.analyze(pages).fields
    assert fields["emails"] == []
    fields = LocalAnalysisProvider(LlmSettings(max_input_chars=5000), embeddings).analyze(pages).fields
    assert values(fields, "emails") == ["late@example.com"]
