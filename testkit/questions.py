"""An evaluation set for asking: documents whose facts sit on known pages, questions about those facts,
and questions the documents cannot answer. Deterministic, so runs compare.

Each document has four pages of everyday prose; three of them carry one fact each. Facts of the same
kind recur across documents with other names (eight ferries, eight warehouses...), so a good answer
must find the right one, not just the right kind of sentence.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

NAMES = ("Nordlys", "Kvitoy", "Solbris", "Havgull", "Fjellrev", "Ternen", "Polarlys", "Vesteral")
PLACES = ("Bodo", "Moskenes", "Tromso", "Harstad", "Svolvaer", "Narvik", "Alesund", "Molde")
PEOPLE = ("Ingrid Dahl", "Oskar Berg", "Maren Lie", "Jonas Vik", "Sigrid Holm", "Erik Strand", "Astrid Moe",
          "Lars Nygaard")  # fmt: skip
# (fact, question): the fact on the page, the question it answers.
KINDS = (
    ("The ferry {name} carries {n} passengers between {a} and {b}.",
     "How many passengers does the ferry {name} carry?"),
    ("The {name} warehouse stores {n} pallets of frozen fish for the winter.",
     "How many pallets does the {name} warehouse store?"),
    ("The {name} library opens at {h} o'clock on Sunday mornings.",
     "When does the {name} library open on Sundays?"),
    ("{person} has managed the {name} branch office since {year}.",
     "Who manages the {name} branch office?"),
    ("The {name} bridge is {n} metres long and was finished in {year}.",
     "How long is the {name} bridge?"),
    ("The {name} project was given a budget of {n} thousand euros.",
     "What budget was the {name} project given?"),
)  # fmt: skip
FILLER = (
    "The committee reviewed the minutes of the previous meeting and approved them without changes.",
    "Staff are reminded to keep the corridors free of boxes and trolleys at all times.",
    "Several colleagues asked for more parking spaces near the main entrance.",
    "The cafeteria will offer a wider choice of soups during the colder months.",
    "A short training on the new booking system takes place on the first Monday of each month.",
    "Visitors must sign in at the reception desk and wear a badge while on the premises.",
    "The heating in the east wing was serviced and now works as expected.",
    "Questions about travel expenses go to the finance team by e-mail.",
    "The quarterly newsletter collects news from every department and is sent to all staff.",
    "Printer paper and toner are kept in the supply room on the second floor.",
    "The fire drill last week went smoothly and the building was empty within four minutes.",
    "New employees receive a laptop and an access card on their first day.",
)
UNANSWERABLE = (
    "What is the melting point of tungsten in kelvin?",
    "Who won the chess olympiad in 1998?",
    "How many moons does Neptune have?",
    "What is the recipe for a traditional lemon tart?",
    "Which airline flies from Oslo to Reykjavik?",
    "What is the boiling point of ethanol?",
)


@dataclass(frozen=True)
class Question:
    text: str
    filename: str | None  # None: the documents do not answer it
    page_no: int | None
    expected: str | None  # the sentence that answers it


@dataclass(frozen=True)
class Corpus:
    documents: dict[str, list[str]]  # filename -> page texts
    questions: list[Question]


def corpus(documents: int = 8, seed: int = 7) -> Corpus:
    rng = random.Random(seed)
    files: dict[str, list[str]] = {}
    questions: list[Question] = []
    for index in range(documents):
        filename = f"bulletin-{index + 1:02d}.pdf"
        pages = [[*rng.sample(FILLER, 4)] for _ in range(4)]
        kinds = rng.sample(range(len(KINDS)), 3)
        fact_pages = rng.sample(range(4), 3)
        for kind, page in zip(kinds, fact_pages, strict=True):
            fact, question = KINDS[kind]
            values = {
                "name": NAMES[index],
                "n": rng.randrange(40, 900),
                "a": PLACES[index],
                "b": PLACES[(index + 3) % len(PLACES)],
                "h": rng.randrange(7, 12),
                "person": PEOPLE[index],
                "year": rng.randrange(1990, 2024),
            }
            sentence = fact.format(**values)
            pages[page].insert(rng.randrange(1, 4), sentence)
            questions.append(Question(question.format(**values), filename, page + 1, sentence))
        files[filename] = [
            f"Bulletin {index + 1}, page {p + 1}.\n" + " ".join(page) for p, page in enumerate(pages)
        ]
    questions += [Question(text, None, None, None) for text in UNANSWERABLE]
    return Corpus(files, questions)
