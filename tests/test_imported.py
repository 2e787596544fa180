"""The store of imported référentiels (crossref.imported): one folder the dashboard writes and the CLI reads."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from crossref.cli import main
from crossref.config import Config
from crossref.errors import InputError
from crossref.imported import imported_files, imported_summary, remove_imported, save_upload, validate_upload

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "data" / "templates" / "exemple_modele.csv"


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data" / "referentiels", data / "referentiels")
    return data


@pytest.fixture
def conf(tmp_path: Path, data_dir: Path) -> Path:
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"data_dir": str(data_dir), "database_url": f"sqlite:///{tmp_path / 'd.sqlite'}"}))
    return path


def _competence_ids(conf: Path, capsys, *extra: str) -> set[str]:
    assert main(["--config", str(conf), "competences", "--format", "json", *extra]) == 0
    return {row["id"] for row in json.loads(capsys.readouterr().out)}


def test_cli_reads_what_the_dashboard_imported(conf: Path, data_dir: Path, capsys) -> None:
    config = Config(data_dir=str(data_dir))
    before = _competence_ids(conf, capsys)
    assert not any(i.startswith("EXEMPLE:") for i in before)
    upload = validate_upload(config, "mon référentiel.csv", TEMPLATE.read_bytes())
    saved = save_upload(config, upload)
    assert imported_files(config) == [saved]
    after = _competence_ids(conf, capsys)
    added = after - before
    assert added and all(i.startswith("EXEMPLE:") for i in added)
    # --data adds files on top of the store; the same certification twice is refused, naming the file.
    assert main(["--config", str(conf), "competences", "--data", str(TEMPLATE)]) == 2
    assert "EXEMPLE" in capsys.readouterr().err
    summary = imported_summary(config)
    assert summary["Fichier"].tolist() == [saved.name] and summary["Certifications"].tolist() == ["EXEMPLE"]
    remove_imported(config, saved.name)
    assert _competence_ids(conf, capsys) == before


def test_an_upload_already_imported_is_refused(data_dir: Path) -> None:
    config = Config(data_dir=str(data_dir))
    save_upload(config, validate_upload(config, "a.csv", TEMPLATE.read_bytes()))
    with pytest.raises(InputError, match="EXEMPLE"):
        validate_upload(config, "b.csv", TEMPLATE.read_bytes())
