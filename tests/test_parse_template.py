"""The CSV / Excel template: the shipped example, round trips, leniencies, mixed folders."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pytest

from crossref.io import certification_json
from crossref.parsing import load_file, load_paths
from crossref.parsing import template
from crossref.parsing.template import COLUMNS, normalize_bloc_code, template_view, write_template

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "data" / "templates" / "exemple_modele.csv"
FC_SAMPLE = ROOT / "tests" / "data" / "fc_fiche_sample.xml"
BTS_MCO_RAW = ROOT / "data" / "extra" / "raw" / "bts_mco_referentiel.txt"

HEADER = ",".join(COLUMNS)


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _without_sources(cert) -> dict:
    d = cert.to_dict()
    d.pop("sources")
    return d


def test_example_loads() -> None:
    certs = load_file(EXAMPLE)
    assert len(certs) == 1
    cert = certs[0]
    assert cert.id == "EXEMPLE"
    assert cert.title == "Conseiller relation client (certification fictive d'exemple)"
    assert cert.sources == ["exemple_modele.csv"]
    assert [b.id for b in cert.blocs] == ["EXEMPLE:B1", "EXEMPLE:B2"]
    assert [b.code for b in cert.blocs] == ["B1", "B2"]
    assert [c.id for c in cert.competences] == [
        "EXEMPLE:C1.1", "EXEMPLE:C1.2", "EXEMPLE:C1.3", "EXEMPLE:C2.1", "EXEMPLE:C2.2",
    ]
    assert [c.bloc_id for c in cert.competences] == ["EXEMPLE:B1"] * 3 + ["EXEMPLE:B2"] * 2
    c13 = cert.competence("EXEMPLE:C1.3")
    assert c13.title == "Traiter une réclamation"
    assert c13.statement.startswith("Recevoir une réclamation, analyser son origine")
    crit = cert.own_criteria("EXEMPLE:C1.3")
    assert [cr.id for cr in crit] == ["EXEMPLE:C1.3/CR1", "EXEMPLE:C1.3/CR2", "EXEMPLE:C1.3/CR3"]
    assert crit[1].text == "La solution proposée respecte les procédures"
    assert all(cr.competence_ids == ["EXEMPLE:C1.3"] and cr.bloc_id == "EXEMPLE:B1" for cr in crit)
    assert len(cert.criteria) == 14


def test_sniff_by_suffix() -> None:
    assert template.sniff(Path("a.csv"), b"")
    assert template.sniff(Path("a.XLSX"), b"")
    assert not template.sniff(Path("a.xml"), b"")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_round_trip(tmp_path: Path, suffix: str) -> None:
    original = template.parse(EXAMPLE)
    out = write_template(original, tmp_path / f"copie{suffix}")
    again = template.parse(out)
    assert [_without_sources(c) for c in again] == [_without_sources(c) for c in original]
    assert again[0].sources == [f"copie{suffix}"]


def test_xlsx_written_by_hand_with_numbers(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(COLUMNS))
    ws.append(["X1", "Titre X", 1, "Bloc un", "C1", "Compétence un", "Énoncé un", "a | b"])
    ws.append(["X1", None, 1.0, None, "C2", "Compétence deux", None, None])
    ws.append([None] * 8)  # blank row: ignored
    ws.append(["X1", "Titre X", "Bloc 2", "Bloc deux", 3, "Compétence trois", "Énoncé trois", "c\nd"])
    path = tmp_path / "saisie.xlsx"
    wb.save(path)
    (cert,) = load_file(path)
    assert [b.id for b in cert.blocs] == ["X1:B1", "X1:B2"]
    assert [c.id for c in cert.competences] == ["X1:C1", "X1:C2", "X1:3"]
    assert cert.competence("X1:C2").statement == "Compétence deux"  # empty statement -> title
    assert [cr.text for cr in cert.own_criteria("X1:3")] == ["c", "d"]  # line break separates criteria


@pytest.mark.parametrize(
    ("raw", "code"),
    [("1", "B1"), ("01", "B1"), ("Bloc 1", "B1"), ("bloc n°2", "B2"), ("b3", "B3"), ("B12", "B12"), ("BC01", "BC01")],
)
def test_bloc_code_normalised(raw: str, code: str) -> None:
    assert normalize_bloc_code(raw) == code


def test_several_certifications_bom_blank_lines_and_fill_down(tmp_path: Path) -> None:
    text = (
        "\ufeff" + HEADER + "\n"
        "A,Certif A,Bloc 1,Premier bloc,C1,Un,Énoncé un,x | y\n"
        "\n"
        "A,,1,,C2,Deux,\"Énoncé, avec virgule\n et retour\",\n"
        "B_2,Certif B,2,Autre bloc,C1,Un,Énoncé B,\n"
    )
    path = _write(tmp_path, "multi.csv", text)
    certs = load_file(path)
    assert [c.id for c in certs] == ["A", "B_2"]
    a, b = certs
    assert [bl.id for bl in a.blocs] == ["A:B1"]
    assert a.competence("A:C2").statement == "Énoncé, avec virgule\n et retour"
    assert a.blocs[0].title == "Premier bloc"
    assert [bl.id for bl in b.blocs] == ["B_2:B2"]
    assert len(a.criteria) == 2 and not b.criteria


def test_header_order_and_case_are_free(tmp_path: Path) -> None:
    cols = list(reversed(COLUMNS))
    header = ",".join(c.upper() if i % 2 else c for i, c in enumerate(cols))
    row = dict(zip(COLUMNS, ["Z", "Titre", "B1", "Bloc", "C1", "Comp", "Énoncé", ""]))
    path = _write(tmp_path, "ordre.csv", header + "\n" + ",".join(row[c] for c in cols) + "\n")
    (cert,) = template.parse(path)
    assert cert.competences[0].id == "Z:C1" and cert.competences[0].statement == "Énoncé"


def test_template_view_treats_shared_criteria_as_criteria_of_each_competence(tmp_path: Path) -> None:
    from crossref.parsing import bts

    (mco,) = bts.parse(BTS_MCO_RAW)
    assert mco.shared_criteria("BTS_MCO:B1")  # bloc-level criteria in the source
    out = write_template([mco], tmp_path / "mco.csv")
    (back,) = template.parse(out)
    assert template_view(back) == template_view(mco)
    assert not back.shared_criteria("BTS_MCO:B1")
    assert len(back.own_criteria("BTS_MCO:C1.1")) == len(mco.shared_criteria("BTS_MCO:B1"))


def test_write_template_rejects_unknown_suffix(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_template(template.parse(EXAMPLE), tmp_path / "x.ods")


def test_load_paths_mixed_folder(tmp_path: Path) -> None:
    folder = tmp_path / "referentiels"
    folder.mkdir()
    (folder / "exemple.csv").write_bytes(EXAMPLE.read_bytes())
    (folder / "fiche.xml").write_bytes(FC_SAMPLE.read_bytes())
    (folder / "bts_mco.txt").write_bytes(BTS_MCO_RAW.read_bytes())
    other = template.parse(_write(tmp_path, "autre.csv", HEADER + "\nJSONCERT,Titre,B1,Bloc,C1,Comp,Énoncé,\n"))[0]
    (folder / "autre.json").write_text(certification_json(other), encoding="utf-8")
    (folder / "notes.md").write_text("ignored: unsupported suffix", encoding="utf-8")
    certs = load_paths([folder])
    # Folder files are loaded in name order.
    assert [c.id for c in certs] == ["JSONCERT", "BTS_MCO", "EXEMPLE", "RNCP99001"]
    assert json.loads(certification_json(certs[0]))["id"] == "JSONCERT"
    # The same certification twice is refused.
    (folder / "copie.csv").write_bytes(EXAMPLE.read_bytes())
    from crossref.errors import InputError

    with pytest.raises(InputError, match="déjà chargée"):
        load_paths([folder])


def test_xlsx_keeps_text_that_looks_like_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "formule.csv"
    path.write_text(HEADER + '\nF,"=titre",B1,Bloc,C1,"=SOMME(A1)",=énoncé,\n', encoding="utf-8")
    certs = template.parse(path)
    (back,) = template.parse(write_template(certs, tmp_path / "formule.xlsx"))
    assert (back.title, back.competences[0].title, back.competences[0].statement) == (
        "=titre", "=SOMME(A1)", "=énoncé",
    )
