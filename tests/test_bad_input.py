"""Bad input files are refused with a French message naming the file and the place."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from crossref.errors import InputError
from crossref.parsing import MAX_INPUT_BYTES, load_file, load_paths
from crossref.parsing.template import COLUMNS

HEADER = ",".join(COLUMNS)
ROW = "EX,Titre,B1,Bloc un,C1,Compétence un,Énoncé un,critère a | critère b"


def _csv(tmp_path: Path, text: str, name: str = "saisie.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_file(path)
    err = info.value
    assert err.path == str(path)
    assert str(err).startswith(str(path))
    return err


# -- whole-file problems -------------------------------------------------------


def test_empty_file(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, ""))
    assert "vide" in str(err)


def test_blank_csv(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, "\n  \n"))
    assert "vide" in str(err)


def test_header_only(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + "\n"))
    assert err.row == 1
    assert "en-tête" in str(err) and "rang 1" in str(err)


def test_unknown_format_docx(tmp_path: Path) -> None:
    p = tmp_path / "referentiel.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    err = _error(p)
    assert "format non reconnu" in str(err)


def test_unknown_format_random_binary(tmp_path: Path) -> None:
    p = tmp_path / "donnees.bin"
    p.write_bytes(bytes(range(256)) * 8)
    assert "format non reconnu" in str(_error(p))


def test_unknown_text_file(tmp_path: Path) -> None:
    p = _csv(tmp_path, "Ceci n'est pas un référentiel.\n", name="notes.txt")
    assert "format non reconnu" in str(_error(p))


def test_missing_file(tmp_path: Path) -> None:
    assert "introuvable" in str(_error(tmp_path / "absent.csv"))
    with pytest.raises(InputError, match="introuvable"):
        load_paths([tmp_path / "absent"])


def test_wrong_encoding_latin1(tmp_path: Path) -> None:
    p = tmp_path / "latin1.csv"
    p.write_bytes((HEADER + "\n" + ROW + "\n").encode("latin-1"))
    err = _error(p)
    assert "encodage" in str(err) and "UTF-8" in str(err)
    assert err.line == 2


def test_oversized_file(tmp_path: Path) -> None:
    p = tmp_path / "enorme.csv"
    with p.open("w", encoding="utf-8") as fh:
        fh.write(HEADER + "\n")
        line = ROW + "\n"
        for _ in range(10 * 1024 * 1024 // len(line.encode()) + 1):
            fh.write(line)
    assert p.stat().st_size > 2 * MAX_INPUT_BYTES - 1024
    err = _error(p)
    assert "trop volumineux" in str(err) and "Mo" in str(err)


def test_oversized_xlsx_and_xml(tmp_path: Path) -> None:
    for name in ("gros.xlsx", "gros.xml"):
        p = tmp_path / name
        p.write_bytes(b"0" * (MAX_INPUT_BYTES + 1))
        assert "trop volumineux" in str(_error(p))


# -- header problems --------------------------------------------------------------


def test_missing_column(tmp_path: Path) -> None:
    header = ",".join(c for c in COLUMNS if c != "criteria")
    err = _error(_csv(tmp_path, header + "\nEX,Titre,B1,Bloc,C1,Comp,Énoncé\n"))
    assert "manquante" in str(err) and "criteria" in str(err)
    assert err.row == 1 and err.column == "criteria"


def test_misnamed_column(tmp_path: Path) -> None:
    header = HEADER.replace("bloc_code", "bloc")
    err = _error(_csv(tmp_path, header + "\n" + ROW + "\n"))
    assert "'bloc' au lieu de 'bloc_code'" in str(err)


def test_extra_column(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + ",commentaire\n" + ROW + ",rien\n"))
    assert "inconnue" in str(err) and "commentaire" in str(err)


def test_duplicate_column(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + ",statement\n" + ROW + ",x\n"))
    assert "double" in str(err) and "statement" in str(err)


# -- row problems ------------------------------------------------------------------


def test_truncated_row(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + "\n" + ROW + "\nEX,Titre,B1,Bloc un,C2\n"))
    assert err.row == 3
    assert "incomplète" in str(err) and "5 champ(s) au lieu de 8" in str(err)


def test_csv_cut_mid_quote(tmp_path: Path) -> None:
    text = HEADER + "\n" + ROW + "\nEX,Titre,B1,Bloc un,C2,Deux,\"Énoncé coupé au milieu"
    err = _error(_csv(tmp_path, text))
    assert "guillemet" in str(err)
    assert err.row == 3 and err.line == 3


def test_row_too_long(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + "\n" + ROW + ",en trop\n"))
    assert err.row == 2 and "trop longue" in str(err)


def test_duplicate_competence_code(tmp_path: Path) -> None:
    text = HEADER + "\n" + ROW + "\n" + ROW.replace("Compétence un", "Autre") + "\n"
    err = _error(_csv(tmp_path, text))
    assert err.row == 3 and err.column == "competence_code"
    assert "en double" in str(err) and "C1" in str(err) and "rang 2" in str(err)


def test_same_code_in_two_certifications_is_fine(tmp_path: Path) -> None:
    text = HEADER + "\n" + ROW + "\n" + ROW.replace("EX,", "EY,") + "\n"
    assert [c.id for c in load_file(_csv(tmp_path, text))] == ["EX", "EY"]


def test_empty_required_cell(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + "\nEX,Titre,B1,Bloc,,Comp,Énoncé,\n"))
    assert err.row == 2 and err.column == "competence_code" and "vide" in str(err)


def test_first_title_cannot_be_empty(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + "\nEX,,B1,Bloc,C1,Comp,Énoncé,\n"))
    assert err.column == "certification_title"


def test_inconsistent_certification_title(tmp_path: Path) -> None:
    text = HEADER + "\n" + ROW + "\nEX,Autre titre,B1,Bloc un,C2,Deux,Énoncé,\n"
    err = _error(_csv(tmp_path, text))
    assert err.row == 3 and err.column == "certification_title" and "incohérent" in str(err)


def test_inconsistent_bloc_title(tmp_path: Path) -> None:
    text = HEADER + "\n" + ROW + "\nEX,Titre,1,Autre bloc,C2,Deux,Énoncé,\n"
    err = _error(_csv(tmp_path, text))
    assert err.row == 3 and err.column == "bloc_title" and "B1" in str(err)


@pytest.mark.parametrize("cert_id", ["ex", "E X", "É1", "-EX", "EX:1"])
def test_invalid_certification_id(tmp_path: Path, cert_id: str) -> None:
    err = _error(_csv(tmp_path, HEADER + "\n" + ROW.replace("EX,", f"\"{cert_id}\",", 1) + "\n"))
    assert err.column == "certification" and "invalide" in str(err)


@pytest.mark.parametrize(("col", "bad"), [("competence_code", "C 1"), ("competence_code", "A:1"), ("bloc_code", "B:1")])
def test_invalid_codes(tmp_path: Path, col: str, bad: str) -> None:
    values = dict(zip(COLUMNS, ROW.split(",")))
    values[col] = bad
    err = _error(_csv(tmp_path, HEADER + "\n" + ",".join(values[c] for c in COLUMNS) + "\n"))
    assert err.column == col


def test_competence_code_clashing_with_bloc_code(tmp_path: Path) -> None:
    err = _error(_csv(tmp_path, HEADER + "\nEX,Titre,B1,Bloc,B1,Comp,Énoncé,\n"))
    assert err.column == "competence_code"


# -- Excel ---------------------------------------------------------------------------


def test_invalid_xlsx_not_a_zip(tmp_path: Path) -> None:
    p = tmp_path / "faux.xlsx"
    p.write_text(HEADER + "\n" + ROW + "\n", encoding="utf-8")
    err = _error(p)
    assert "xlsx" in str(err)


def test_invalid_xlsx_zip_without_workbook(tmp_path: Path) -> None:
    p = tmp_path / "vide.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("readme.txt", "rien")
    assert "Excel" in str(_error(p))


def _xlsx(tmp_path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    p = tmp_path / "saisie.xlsx"
    wb.save(p)
    return p


def test_xlsx_header_only_and_empty_sheet(tmp_path: Path) -> None:
    assert _error(_xlsx(tmp_path, [list(COLUMNS)])).row == 1
    assert "vide" in str(_error(_xlsx(tmp_path, [])))


def test_xlsx_duplicate_code_names_spreadsheet_row(tmp_path: Path) -> None:
    row = ROW.split(",")
    err = _error(_xlsx(tmp_path, [list(COLUMNS), row, [None] * 8, row]))
    assert err.row == 4 and err.column == "competence_code"


def test_xlsx_missing_cells(tmp_path: Path) -> None:
    err = _error(_xlsx(tmp_path, [list(COLUMNS), ["EX", "Titre", "B1", "Bloc", "C1"]]))
    assert err.row == 2 and err.column == "competence_title"


# -- other formats ---------------------------------------------------------------------


def test_malformed_xml(tmp_path: Path) -> None:
    p = tmp_path / "fiche.xml"
    p.write_text("<FICHES>\n<FICHE>\n<NUMERO_FICHE>RNCP1</NUMERO>\n</FICHE>\n</FICHES>\n", encoding="utf-8")
    err = _error(p)
    assert err.line == 3 and "XML mal formé" in str(err)


def test_bts_text_without_structure(tmp_path: Path) -> None:
    p = _csv(tmp_path, "RÉFÉRENTIEL — BTS Inconnu (INC)\nrien d'autre\n", name="bts.txt")
    assert "section" in str(_error(p))


def test_bad_file_in_folder_stops_loading(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(HEADER + "\n" + ROW + "\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text(HEADER + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_paths([tmp_path])
    assert info.value.path.endswith("b.csv")


def test_semicolon_or_tab_separated_file_reads_like_the_comma_one(tmp_path: Path) -> None:
    """What Excel writes as « CSV (séparateur : point-virgule) » in a French locale."""
    comma = load_file(_csv(tmp_path, HEADER + "\n" + ROW + "\n", "virgule.csv"))
    assert [c.competences[0].statement for c in comma] == ["Énoncé un"]
    for sep, name in ((";", "point_virgule.csv"), ("\t", "tabulation.csv")):
        other = load_file(_csv(tmp_path, HEADER.replace(",", sep) + "\n" + ROW.replace(",", sep) + "\n", name))
        assert [{**c.to_dict(), "sources": []} for c in other] == [{**c.to_dict(), "sources": []} for c in comma]
    # A « ; » inside a comma file's cell does not make it a semicolon file.
    text = HEADER + "\n" + ROW.replace("Énoncé un", '"Énoncé un ; suite"') + "\n"
    assert load_file(_csv(tmp_path, text, "cellule.csv"))[0].competences[0].statement == "Énoncé un ; suite"
    # A semicolon file still names a missing column.
    err = _error(_csv(tmp_path, "certification;bloc_code\nEX;B1\n", "incomplet.csv"))
    assert err.row == 1 and "colonne" in str(err)
