"""Configuration: TOML and JSON files, strict keys and types, round trip, CLI errors."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path

import pytest

from crossref.cli import main
from crossref.config import (
    DEFAULT_DATA_DIR,
    Config,
    EmbeddingConfig,
    MatchingConfig,
    PasserelleConfig,
)
from crossref.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]

TOML = """\
data_dir = "/srv/crossref/data"
database_url = "sqlite:////srv/crossref/decisions.sqlite"

[embedding]
st_model = "packaged:all-MiniLM-L6-v2"
cache_dir = "/srv/crossref/cache"
cache = false

[matching]
hubness = 0.25
hubness_k = 3
top_k = 5
direction_margin = 1

[passerelles]
full_coverage = 0.8
"""

AS_DICT = {
    "data_dir": "/srv/crossref/data",
    "database_url": "sqlite:////srv/crossref/decisions.sqlite",
    "embedding": {
        "st_model": "packaged:all-MiniLM-L6-v2",
        "cache_dir": "/srv/crossref/cache",
        "cache": False,
    },
    "matching": {"hubness": 0.25, "hubness_k": 3, "top_k": 5, "direction_margin": 1},
    "passerelles": {"full_coverage": 0.8},
}


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_defaults() -> None:
    cfg = Config.load(None)
    assert cfg == Config()
    assert Path(cfg.data_dir) == DEFAULT_DATA_DIR
    assert cfg.db_url == f"sqlite:///{DEFAULT_DATA_DIR / 'decisions.sqlite'}"
    assert 0 <= cfg.matching.hubness <= 1 and cfg.matching.hubness_k >= 1
    assert 0 < cfg.passerelles.partial_coverage < cfg.passerelles.full_coverage <= 1


def test_load_toml(tmp_path: Path) -> None:
    cfg = Config.load(_write(tmp_path, "crossref.toml", TOML))
    assert cfg.data_dir == "/srv/crossref/data"
    assert cfg.db_url == "sqlite:////srv/crossref/decisions.sqlite"
    assert cfg.embedding == EmbeddingConfig(cache_dir="/srv/crossref/cache", cache=False)
    assert cfg.matching.hubness == 0.25 and cfg.matching.top_k == 5
    # An integer is accepted for a float setting.
    assert cfg.matching.direction_margin == 1.0 and isinstance(cfg.matching.direction_margin, float)
    assert cfg.matching.hubness_k == 3
    assert cfg.matching.clause_backend == MatchingConfig().clause_backend  # keys left out keep their default
    assert cfg.passerelles == PasserelleConfig(full_coverage=0.8)


def test_load_json_equals_toml(tmp_path: Path) -> None:
    from_json = Config.load(_write(tmp_path, "crossref.json", json.dumps(AS_DICT)))
    from_toml = Config.load(_write(tmp_path, "crossref.toml", TOML))
    assert from_json == from_toml
    assert Config.load(_write(tmp_path, "UPPER.TOML", TOML)) == from_toml  # suffix case


def test_to_dict_round_trip(tmp_path: Path) -> None:
    for cfg in (Config(), Config.load(_write(tmp_path, "c.toml", TOML))):
        d = cfg.to_dict()
        assert set(d) == {f.name for f in fields(Config)}
        assert Config.from_dict(d) == cfg
        # JSON-serialisable (exports record it) and loadable back from a file.
        p = _write(tmp_path, "back.json", json.dumps(d))
        assert Config.load(p) == cfg


def test_with_overrides() -> None:
    cfg = Config().with_overrides(data_dir="/tmp/d")
    assert cfg.data_dir == "/tmp/d" and cfg.db_url == "sqlite:////tmp/d/decisions.sqlite"
    assert Config().data_dir != "/tmp/d"  # frozen: the original is unchanged


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"datadir": "x"}, "datadir"),
        ({"matching": {"topk": 3}}, "matching.topk"),
        ({"embedding": {"model": "x"}}, "embedding.model"),
        ({"passerelles": {"full": 0.9}, "data_dir": "x"}, "passerelles.full"),
    ],
)
def test_unknown_key_is_refused_by_name(data: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_dict(data, source="test.toml")
    msg = str(info.value)
    assert msg.startswith("test.toml") and "inconnue" in msg and key in msg


@pytest.mark.parametrize(
    ("data", "key"),
    [
        ({"data_dir": 3}, "data_dir"),
        ({"database_url": ["x"]}, "database_url"),
        ({"matching": {"top_k": "10"}}, "matching.top_k"),
        ({"matching": {"top_k": 2.5}}, "matching.top_k"),
        ({"matching": {"top_k": True}}, "matching.top_k"),
        ({"matching": {"hubness": "0.8"}}, "matching.hubness"),
        ({"matching": {"hubness": False}}, "matching.hubness"),
        ({"embedding": {"cache": "yes"}}, "embedding.cache"),
        ({"embedding": {"cache": 1}}, "embedding.cache"),
        ({"matching": 3}, "matching"),
    ],
)
def test_wrong_type_is_refused(data: dict, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        Config.from_dict(data, source="test.json")
    assert str(info.value).startswith("test.json") and key in str(info.value)


def _dict_settings() -> list[tuple[str, str]]:
    """(section, key) of every setting holding a name -> number mapping (backend weights...)."""
    out = []
    for section, value in Config().to_dict().items():
        if isinstance(value, dict):
            out += [(section, k) for k, v in value.items() if isinstance(v, dict)]
    return out


def test_mapping_settings_are_type_checked() -> None:
    settings = _dict_settings()
    assert settings, "expected at least one name -> weight mapping (the hybrid's weights)"
    for section, key in settings:
        default = getattr(getattr(Config(), section), key)
        name = next(iter(default))
        ok = Config.from_dict({section: {key: {name: 2}}})
        assert getattr(getattr(ok, section), key) == {name: 2.0}
        for bad in ([name], {name: "1"}, {name: True}, "x"):
            with pytest.raises(ConfigError, match=f"{section}.{key}"):
                Config.from_dict({section: {key: bad}})


def test_file_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="absent.toml"):
        Config.load(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match=r"\.toml ou \.json"):
        Config.load(_write(tmp_path, "c.yaml", "data_dir: x\n"))
    with pytest.raises(ConfigError, match="invalide"):
        Config.load(_write(tmp_path, "c.toml", "data_dir = \n"))
    with pytest.raises(ConfigError, match="invalide"):
        Config.load(_write(tmp_path, "c.json", "{\"data_dir\": }"))
    bad = tmp_path / "latin.toml"
    bad.write_bytes('data_dir = "é"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match="latin.toml"):
        Config.load(bad)
    with pytest.raises(ConfigError, match="racine"):
        Config.load(_write(tmp_path, "list.json", "[1, 2]"))


def test_cli_reports_config_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = _write(tmp_path, "c.toml", "[matching]\ntop_k = 10\nthreshold = 0.5\n")
    assert main(["--config", str(cfg), "competences"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("crossref: erreur : ") and str(cfg) in err and "matching.threshold" in err
    assert main(["competences", "--config", str(tmp_path / "absent.json")]) == 2
    assert "absent.json" in capsys.readouterr().err


def test_readme_configuration_example_is_valid() -> None:
    """The TOML example of README.md loads (no unknown key, right types) and shows every section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```toml\n(.*?)```", readme, flags=re.S)
    assert blocks, "README.md has no ```toml example"
    import tomllib

    data = tomllib.loads(blocks[0])
    Config.from_dict(data, source="README.md")
    assert set(data) == set(Config().to_dict())
