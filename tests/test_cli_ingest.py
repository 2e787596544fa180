"""Issue 2 through the CLI: `crossref ingest`, `crossref competences`, `--data`, bad input.

Every test runs `crossref.cli.main` in-process against a temporary data dir
(``--config`` pointing at a JSON configuration), so the repository's data/ is
only read, never written.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from crossref.cli import build_parser, main
from crossref.parsing.template import COLUMNS

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
EXTRA = DATA / "extra"
EXAMPLE = DATA / "templates" / "exemple_modele.csv"
FC_SAMPLE = ROOT / "tests" / "data" / "fc_fiche_sample.xml"

TABLE_COLUMNS = ["id", "certification", "bloc", "code", "title", "statement", "criteria_count"]

ICD_IDS = {f"ICD:C{b}.{n}" for b, count in ((1, 6), (2, 10), (3, 7), (4, 11)) for n in range(1, count + 1)}
NEOMA_IDS = {f"NEOMA:C{n}" for n in range(1, 22)}
RS_IDS = {f"RS:A{a}.{n}" for a, count in ((1, 5), (2, 4), (3, 4)) for n in range(1, count + 1)}
CPMC_IDS = {f"CPMC:C{n}" for n in range(1, 38)}
BUILTIN_IDS = ICD_IDS | NEOMA_IDS | RS_IDS | CPMC_IDS
EXEMPLE_IDS = {"EXEMPLE:C1.1", "EXEMPLE:C1.2", "EXEMPLE:C1.3", "EXEMPLE:C2.1", "EXEMPLE:C2.2"}
FC_IDS = {f"RNCP99001:B1C{n}" for n in (1, 2, 3)} | {f"RNCP99001:C2.{n}" for n in (1, 2, 3)}

HEADER = ",".join(COLUMNS)
ROW = "EX,Titre,B1,Bloc un,C1,Compétence un,Énoncé un,critère a | critère b"


# -- helpers --------------------------------------------------------------------------


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of data/raw and data/referentiels."""
    d = tmp_path / "data"
    shutil.copytree(DATA / "raw", d / "raw")
    shutil.copytree(DATA / "referentiels", d / "referentiels")
    return d


def _config(tmp_path: Path, data_dir: Path) -> Path:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"data_dir": str(data_dir)}), encoding="utf-8")
    return cfg


@pytest.fixture
def cli(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]):
    """Run `crossref --config <tmp config> ARGS...`; returns (exit status, stdout, stderr)."""
    cfg = _config(tmp_path, data_dir)

    def run(*argv: str | Path) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main(["--config", str(cfg), *map(str, argv)])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under ``folder`` (hidden temp files included)."""
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _json_rows(out: str) -> list[dict]:
    rows = json.loads(out)
    assert isinstance(rows, list)
    return rows


def _csv_rows(out: str) -> list[dict]:
    reader = csv.DictReader(io.StringIO(out, newline=""))
    assert reader.fieldnames == TABLE_COLUMNS
    return list(reader)


def _ids_by_cert(rows: list[dict]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for r in rows:
        out.setdefault(r["certification"], set()).add(r["id"])
    return out


# -- ingest -----------------------------------------------------------------------------


def test_ingest_rebuilds_the_committed_json_byte_for_byte(tmp_path: Path) -> None:
    d = tmp_path / "data"
    shutil.copytree(DATA / "raw", d / "raw")
    cfg = _config(tmp_path, d)
    assert main(["--config", str(cfg), "ingest"]) == 0
    first = {p.name: p.read_bytes() for p in sorted((d / "referentiels").iterdir())}
    assert main(["--config", str(cfg), "ingest"]) == 0
    second = {p.name: p.read_bytes() for p in sorted((d / "referentiels").iterdir())}
    assert first == second
    committed = {p.name: p.read_bytes() for p in sorted((DATA / "referentiels").iterdir())}
    assert sorted(first) == ["CPMC.json", "ICD.json", "NEOMA.json", "RS.json", "index.json"]
    assert first == committed
    assert json.loads(first["index.json"]) == ["ICD", "NEOMA", "RS", "CPMC"]
    # Published files are world-readable and no temporary file is left behind.
    for p in (d / "referentiels").iterdir():
        assert p.stat().st_mode & 0o777 == 0o644
    assert not [p for p in d.rglob("*") if p.name.startswith(".")]


def test_ingest_prints_what_it_wrote(cli, data_dir: Path) -> None:
    rc, out, err = cli("ingest")
    assert rc == 0 and err == ""
    written = [line.removeprefix("écrit : ") for line in out.splitlines()]
    assert [Path(p).name for p in written] == ["ICD.json", "NEOMA.json", "RS.json", "CPMC.json", "index.json"]
    assert all(Path(p).parent == data_dir / "referentiels" for p in written)


def test_config_option_after_the_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    d = tmp_path / "data"
    shutil.copytree(DATA / "raw", d / "raw")
    assert main(["ingest", "--config", str(_config(tmp_path, d))]) == 0
    assert (d / "referentiels" / "index.json").read_bytes() == (DATA / "referentiels" / "index.json").read_bytes()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _latin1(path: Path) -> None:
    path.write_bytes(path.read_text(encoding="utf-8").encode("latin-1", "replace"))


CORRUPTIONS = {
    "truncated table": ("cpmc.txt", _truncate, "ligne"),
    "latin-1 bytes": ("rs_optimiser_relation_client.txt", _latin1, "encodage invalide"),
    "empty file": ("neoma_manager_relation_client.txt", lambda p: p.write_bytes(b""), "fichier vide"),
    "unrelated text": ("icd_rncp38938_mindmap.txt", lambda p: p.write_text("rien\n", encoding="utf-8"), "Bloc"),
    "bad manifest JSON": ("sources.json", lambda p: p.write_text('[{"id": "ICD",', encoding="utf-8"), "JSON invalide"),
    "manifest names a missing file": (
        "sources.json",
        lambda p: p.write_text(p.read_text(encoding="utf-8").replace("cpmc.txt", "absent.txt"), encoding="utf-8"),
        "introuvable",
    ),
    "unknown parser": (
        "sources.json",
        lambda p: p.write_text(p.read_text(encoding="utf-8").replace('"cpmc"', '"pdf"'), encoding="utf-8"),
        "parseur inconnu",
    ),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_ingest_with_a_corrupted_raw_file_changes_nothing(cli, data_dir: Path, case: str) -> None:
    name, corrupt, fragment = CORRUPTIONS[case]
    corrupt(data_dir / "raw" / name)
    before = snapshot(data_dir)
    rc, out, err = cli("ingest")
    assert rc == 2
    assert out == ""
    assert err.startswith("crossref: erreur : ") and fragment in err
    expected_file = "absent.txt" if case == "manifest names a missing file" else name
    assert expected_file in err
    assert snapshot(data_dir) == before  # same files, same bytes, same mtimes: no temp file left


def test_ingest_checks_extra_data_before_writing(cli, data_dir: Path, tmp_path: Path) -> None:
    before = snapshot(data_dir)
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "\n", encoding="utf-8")
    rc, _, err = cli("ingest", "--data", EXAMPLE, "--data", bad)
    assert rc == 2 and str(bad) in err
    clash = tmp_path / "icd.csv"
    clash.write_text(HEADER + "\n" + ROW.replace("EX,", "ICD,") + "\n", encoding="utf-8")
    rc, _, err = cli("ingest", "--data", clash)
    assert rc == 2 and str(clash) in err and "'ICD'" in err and "déjà chargée" in err
    assert snapshot(data_dir) == before
    # Valid extra files are checked, never written to data/.
    rc, out, _ = cli("ingest", "--data", EXAMPLE)
    assert rc == 0 and "EXEMPLE" not in out
    assert sorted(p.name for p in (data_dir / "referentiels").iterdir()) == [
        "CPMC.json", "ICD.json", "NEOMA.json", "RS.json", "index.json",
    ]


# -- competences ----------------------------------------------------------------------


def test_competences_csv_lists_every_builtin_competence(cli) -> None:
    rc, out, err = cli("competences", "--format", "csv")
    assert rc == 0 and err == ""
    assert out.splitlines()[0] == ",".join(TABLE_COLUMNS)
    rows = _csv_rows(out)
    assert len(rows) == 105
    by_cert = _ids_by_cert(rows)
    assert list(by_cert) == ["ICD", "NEOMA", "RS", "CPMC"]  # index order
    assert {k: len(v) for k, v in by_cert.items()} == {"ICD": 34, "NEOMA": 21, "RS": 13, "CPMC": 37}
    assert by_cert == {"ICD": ICD_IDS, "NEOMA": NEOMA_IDS, "RS": RS_IDS, "CPMC": CPMC_IDS}
    for r in rows:
        cert, code = r["id"].split(":")
        assert r["certification"] == cert and r["code"] == code
        assert r["bloc"].startswith(cert + ":B")
        assert r["title"] and r["statement"]
        assert int(r["criteria_count"]) >= 0


def test_competences_json_matches_csv(cli) -> None:
    rc, out_json, _ = cli("competences", "--format", "json")
    assert rc == 0
    records = _json_rows(out_json)
    assert all(list(r) == TABLE_COLUMNS for r in records)
    assert all(isinstance(r["criteria_count"], int) for r in records)
    _, out_csv, _ = cli("competences")  # csv is the default
    assert [{**r, "criteria_count": int(r["criteria_count"])} for r in _csv_rows(out_csv)] == records
    assert {r["id"] for r in records} == BUILTIN_IDS
    spot = {r["id"]: r for r in records}
    assert spot["ICD:C1.1"]["bloc"] == "ICD:B1" and spot["ICD:C1.1"]["title"] == "Produire une veille stratégique"
    assert spot["RS:A2.1"]["bloc"] == "RS:B2"
    # RS criteria are shared by their activity bloc; CPMC criteria by their domain.
    assert spot["RS:A1.1"]["criteria_count"] == spot["RS:A1.5"]["criteria_count"] > 0


def test_competences_default_config_reads_the_repository_data(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["competences", "--format", "json"]) == 0
    assert {r["id"] for r in _json_rows(capsys.readouterr().out)} == BUILTIN_IDS


def test_competences_out_file(cli, tmp_path: Path) -> None:
    target = tmp_path / "sortie" / "competences.json"
    rc, out, err = cli("competences", "--format", "json", "--out", target)
    assert rc == 0 and out == "" and str(target) in err
    _, stdout_json, _ = cli("competences", "--format", "json")
    assert target.read_text(encoding="utf-8") == stdout_json


def test_unknown_output_format_is_an_argparse_error(cli, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        cli("competences", "--format", "xml")
    assert info.value.code == 2


# -- --data -------------------------------------------------------------------------------


def test_every_command_accepts_data() -> None:
    parser = build_parser()
    (subparsers,) = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    assert {"ingest", "competences"} <= set(subparsers.choices)
    for name, sub in subparsers.choices.items():
        data = [a for a in sub._actions if "--data" in a.option_strings]
        assert data, f"{name} has no --data option"
        assert data[0].__class__.__name__ == "_AppendAction"  # repeatable


def test_data_bts_derived_templates_folder(cli) -> None:
    rc, out, _ = cli("competences", "--format", "json", "--data", EXTRA)
    assert rc == 0
    by_cert = _ids_by_cert(_json_rows(out))
    assert list(by_cert) == ["ICD", "NEOMA", "RS", "CPMC", "BTS_MCO", "BTS_NDRC"]
    assert len(by_cert["BTS_MCO"]) == 30 and len(by_cert["BTS_NDRC"]) == 21
    assert "BTS_MCO:C1.1" in by_cert["BTS_MCO"] and "BTS_NDRC:C6.4" in by_cert["BTS_NDRC"]


def test_data_bts_raw_text_gives_the_same_competences(cli) -> None:
    _, from_csv, _ = cli("competences", "--format", "json", "--data", EXTRA)
    rc, from_raw, _ = cli("competences", "--format", "json", "--data", EXTRA / "raw")
    assert rc == 0
    rows_csv = [r for r in _json_rows(from_csv) if r["certification"].startswith("BTS_")]
    rows_raw = [r for r in _json_rows(from_raw) if r["certification"].startswith("BTS_")]
    assert [(r["id"], r["bloc"], r["title"], r["statement"]) for r in rows_raw] == [
        (r["id"], r["bloc"], r["title"], r["statement"]) for r in rows_csv
    ]


def test_data_example_template_file_and_folder(cli) -> None:
    for path in (EXAMPLE, EXAMPLE.parent):  # the folder's README.md is not a référentiel: skipped
        rc, out, _ = cli("competences", "--format", "json", "--data", path)
        assert rc == 0
        rows = [r for r in _json_rows(out) if r["certification"] == "EXEMPLE"]
        assert {r["id"] for r in rows} == EXEMPLE_IDS
        assert [r["criteria_count"] for r in rows] == [3, 3, 3, 2, 3]


def test_data_france_competences_xml(cli) -> None:
    rc, out, _ = cli("competences", "--format", "csv", "--data", FC_SAMPLE)
    assert rc == 0
    assert _ids_by_cert(_csv_rows(out))["RNCP99001"] == FC_IDS


def test_data_repeated(cli) -> None:
    rc, out, _ = cli("competences", "--format", "json",
                     "--data", EXTRA, "--data", EXAMPLE, "--data", FC_SAMPLE)
    assert rc == 0
    rows = _json_rows(out)
    assert len(rows) == 105 + 30 + 21 + 5 + 6
    assert list(_ids_by_cert(rows)) == ["ICD", "NEOMA", "RS", "CPMC", "BTS_MCO", "BTS_NDRC", "EXEMPLE", "RNCP99001"]


def test_data_duplicate_certification_id(cli, data_dir: Path, tmp_path: Path) -> None:
    before = snapshot(data_dir)
    # The same BTS from its derived template and from its raw text.
    rc, out, err = cli("competences", "--data", EXTRA, "--data", EXTRA / "raw")
    assert rc == 2 and out == ""
    assert "bts_mco_referentiel.txt" in err and "'BTS_MCO'" in err and "bts_mco.csv" in err
    # The same file twice.
    rc, _, err = cli("competences", "--data", EXAMPLE, "--data", EXAMPLE)
    assert rc == 2 and "'EXEMPLE'" in err and "déjà chargée" in err
    # An extra file reusing a built-in id names both places.
    clash = tmp_path / "rs.csv"
    clash.write_text(HEADER + "\n" + ROW.replace("EX,", "RS,") + "\n", encoding="utf-8")
    rc, _, err = cli("competences", "--data", clash)
    assert rc == 2 and str(clash) in err and "RS.json" in err
    # The built-in raw sources loaded again as extra data.
    rc, _, err = cli("competences", "--data", DATA / "raw")
    assert rc == 2 and "sources.json" in err and "'ICD'" in err
    assert snapshot(data_dir) == before


# -- bad input through the CLI ------------------------------------------------------------


def _empty(tmp: Path) -> Path:
    p = tmp / "vide.csv"
    p.write_bytes(b"")
    return p


def _unknown_format(tmp: Path) -> Path:
    p = tmp / "referentiel.docx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return p


def _latin1_csv(tmp: Path) -> Path:
    p = tmp / "latin1.csv"
    p.write_bytes((HEADER + "\n" + ROW + "\n").encode("latin-1"))
    return p


def _truncated_row(tmp: Path) -> Path:
    p = tmp / "tronque.csv"
    p.write_text(HEADER + "\n" + ROW + "\nEX,Titre,B1,Bloc un,C2\n", encoding="utf-8")
    return p


def _duplicate_code(tmp: Path) -> Path:
    p = tmp / "doublon.csv"
    p.write_text(HEADER + "\n" + ROW + "\n" + ROW.replace("Compétence un", "Autre") + "\n", encoding="utf-8")
    return p


def _ten_megabytes(tmp: Path) -> Path:
    p = tmp / "enorme.csv"
    line = (ROW + "\n").encode("utf-8")
    p.write_bytes(HEADER.encode() + b"\n" + line * (10 * 1024 * 1024 // len(line) + 1))
    assert p.stat().st_size >= 10 * 1024 * 1024
    return p


def _missing(tmp: Path) -> Path:
    return tmp / "absent.csv"


BAD_INPUTS = {
    "empty file": (_empty, ["fichier vide"]),
    "unknown format": (_unknown_format, ["format non reconnu"]),
    "wrong encoding": (_latin1_csv, ["encodage invalide", "UTF-8", "ligne 2"]),
    "truncated row": (_truncated_row, ["rang 3", "incomplète", "5 champ(s) au lieu de 8"]),
    "duplicate competence code": (_duplicate_code, ["rang 3", "'competence_code'", "en double", "C1"]),
    "10 MB file": (_ten_megabytes, ["trop volumineux", "Mo"]),
    "missing file": (_missing, ["introuvable"]),
}


@pytest.mark.parametrize("command", ["competences", "ingest"])
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_and_writes_nothing(cli, data_dir: Path, tmp_path: Path, case: str, command: str) -> None:
    make, fragments = BAD_INPUTS[case]
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    bad = make(inputs)
    target = data_dir / "exports" / "competences.csv"
    before = snapshot(data_dir)
    extra = ["--out", target] if command == "competences" else []
    rc, out, err = cli(command, "--data", bad, *extra)
    assert rc == 2
    assert out == ""
    assert err.startswith(f"crossref: erreur : {bad}")  # the message starts with the file
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err
    assert snapshot(data_dir) == before
    assert not target.exists()


def test_bad_file_inside_a_data_folder_is_named(cli, tmp_path: Path) -> None:
    folder = tmp_path / "mes_referentiels"
    folder.mkdir()
    shutil.copy(EXAMPLE, folder / "a_exemple.csv")
    _truncated_row(folder)
    rc, out, err = cli("competences", "--data", folder)
    assert rc == 2 and out == ""
    assert str(folder / "tronque.csv") in err and "rang 3" in err


# -- broken data dir -------------------------------------------------------------------------


def test_referentiels_not_built(cli, data_dir: Path) -> None:
    shutil.rmtree(data_dir / "referentiels")
    rc, out, err = cli("competences")
    assert rc == 2 and out == ""
    assert "index.json" in err and "crossref ingest" in err


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("index.json", "[\"ICD\",", "JSON invalide"),
        ("index.json", "{\"ICD\": 1}", "liste"),
        ("index.json", "[\"ICD\", \"ABSENT\"]", "introuvable"),
        ("RS.json", "{\"id\": \"RS\"", "JSON invalide"),
        ("RS.json", "[]", "objet"),
    ],
)
def test_corrupted_normalised_json(cli, data_dir: Path, name: str, content: str, fragment: str) -> None:
    (data_dir / "referentiels" / name).write_text(content, encoding="utf-8")
    rc, out, err = cli("competences")
    assert rc == 2 and out == ""
    assert fragment in err and "Traceback" not in err


def test_hand_edited_json_with_a_dangling_reference(cli, data_dir: Path) -> None:
    path = data_dir / "referentiels" / "RS.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["competences"][0]["bloc_id"] = "RS:B9"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    rc, _, err = cli("competences")
    assert rc == 2
    assert str(path) in err and "RS:B9" in err and "incohérent" in err


def test_ingest_repairs_a_damaged_normalised_dir(cli, data_dir: Path) -> None:
    (data_dir / "referentiels" / "RS.json").write_text("{", encoding="utf-8")
    assert cli("competences")[0] == 2
    assert cli("ingest")[0] == 0
    assert (data_dir / "referentiels" / "RS.json").read_bytes() == (DATA / "referentiels" / "RS.json").read_bytes()
    rc, out, _ = cli("competences", "--format", "json")
    assert rc == 0 and len(_json_rows(out)) == 105
