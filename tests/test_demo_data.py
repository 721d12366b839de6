"""The demo store of `make run` (issue 26): its customers' names in the UI's default language."""

import csv
import io

from scripts.local_stack import DEMO_NAMES, demo_customers_csv


def _names(language: str) -> list[tuple[str, str]]:
    rows = csv.DictReader(io.StringIO(demo_customers_csv(limit=60, language=language).decode()))
    return [(row["name"], row["gender"]) for row in rows]


def test_a_portuguese_default_seeds_portuguese_names_matching_the_gender():
    names = _names("pt-BR")
    portuguese = DEMO_NAMES["pt-BR"]
    assert len(names) == 60 and len({name for name, _ in names}) == 60
    for name, gender in names:
        first, surname = name.split()
        assert (
            first in portuguese["female" if gender == "Female" else "male"]
            and surname in portuguese["surnames"]
        )


def test_an_english_default_seeds_english_names():
    names = _names("en")
    assert all(name.split()[-1] in DEMO_NAMES["en"]["surnames"] for name, _ in names)
    assert not {name for name, _ in names} & {name for name, _ in _names("pt-BR")}
