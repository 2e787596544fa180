"""crossref.labels: the French words and number formats people read."""

from __future__ import annotations

import math

import pytest

from crossref import labels
from crossref.tables import DIRECTIONS, RELATIONS


@pytest.mark.parametrize("x, digits, text", [
    (0.8712, 2, "0,87"), (1, 2, "1,00"), (0.0, 3, "0,000"), (0.7405, 3, "0,741"), ("0.5", 2, "0,50"),
    (None, 2, "—"), (math.nan, 2, "—"), ("abc", 2, "—"),
])
def test_fr_decimal(x, digits, text):
    assert labels.fr_decimal(x, digits) == text


@pytest.mark.parametrize("x, digits, text", [
    (0.429, 0, "43 %"), (0.429, 1, "42,9 %"), (1.0, 0, "100 %"), (0.0, 0, "0 %"), (0.625, 0, "62 %"),
    (None, 0, "—"), (math.nan, 1, "—"),
])
def test_fr_percent(x, digits, text):
    assert labels.fr_percent(x, digits) == text


def test_fr_percent_rounds_like_python_percent_format():
    # The CLI and README figures were printed with "{:.0%}": the French form must not move a digit.
    for k in range(1001):
        x = k / 1000
        assert labels.fr_percent(x) == f"{x:.0%}".replace("%", " %")


@pytest.mark.parametrize("x, text", [(0.591, "0,591"), (5, "5"), (0.85, "0,85"), (None, "—")])
def test_fr_number(x, text):
    assert labels.fr_number(x) == text


def test_every_code_has_a_french_label():
    assert set(labels.RELATION_FR) == set(RELATIONS)
    assert set(labels.DIRECTION_FR) == set(DIRECTIONS) == set(labels.DIRECTION_SENTENCE_FR)
    assert set(labels.REVIEW_STATUS_FR) == {"suggested", "validated", "rejected"}
    assert len(set(labels.PASSERELLE_STATUSES)) == 3


def test_pair_lines():
    assert labels.pair_line_fr("A:C1", "B:C2", 0.8712, "equivalent") == "A:C1 → B:C2 (équivalente, 0,87)"
    machine = "A:C1 → B:C2 (0.87, equivalent); A:C3 → B:C2 (0.40, partial)"
    assert labels.pair_list_fr(machine) == "A:C1 → B:C2 (équivalente, 0,87); A:C3 → B:C2 (partielle, 0,40)"
    assert labels.pair_list_fr("") == ""


def test_dates_and_review_status():
    assert labels.french_date("2024-05-03T10:00:00Z") == "03/05/2024"
    assert labels.french_date("n/a") == "n/a"
    assert labels.french_datetime("2024-07-01T09:00:00Z") == "01/07/2024 09:00 UTC"
    assert labels.french_datetime("2024-07-01T09:00:00") == "01/07/2024 09:00"
    assert labels.status_fr("suggested", "Ann", "2024-05-03") == "suggérée"
    assert labels.status_fr("validated", "Ann", "2024-05-03T10:00:00Z") == "validée par Ann le 03/05/2024"
    assert labels.status_fr("rejected") == "rejetée"


def test_one_wording_for_a_competence_still_to_evidence():
    from pathlib import Path

    assert labels.COMPETENCE_MISSING == "à justifier"
    package = Path(labels.__file__).parent
    stray = [str(p.relative_to(package)) for p in package.rglob("*.py") if "non couverte" in p.read_text("utf-8")]
    assert stray == []


def test_integers_and_megabytes():
    assert labels.french_int(12345) == "12\u202f345" and labels.french_int(7) == "7"
    assert labels.french_mb(5 * 2**20) == "5 Mo"
    assert labels.french_mb(1536 * 2**10) == "1,5 Mo"
    assert labels.french_mb(2**30) == "1\u202f024 Mo"


def test_de_elides_before_a_vowel() -> None:
    """Issue 11: « blocs de ICD » reads « blocs d'ICD »."""
    from crossref.labels import de

    assert de("ICD") == "d'ICD" and de("EXEMPLE") == "d'EXEMPLE"
    assert de("NEOMA") == "de NEOMA" and de("RS") == "de RS" and de("CPMC") == "de CPMC"
