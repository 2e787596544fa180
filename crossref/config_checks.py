"""Range, finiteness and order checks of every configuration value.

:func:`check_config` walks every field of a :class:`crossref.config.Config`:
any number must be finite (NaN and ±∞ are refused everywhere, including in
the ``{name: number}`` tables), then the rules below apply by dotted key.
A new setting gets the finiteness check by itself; give it a range in
:data:`RANGES` (and an order in :data:`ORDERS` if it must stay below another).
Errors are :class:`ConfigValueError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, fields, is_dataclass
from pathlib import Path
from typing import Any

from crossref.errors import ConfigError

# The views a channel can read (crossref.corpus_views.competence_views builds them).
VIEWS = ("text", "full", "core", "criteria")


class ConfigValueError(ConfigError):
    """A configuration value out of its allowed range; ``key`` is its dotted name."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(f"{key} {message}")


@dataclass(frozen=True)
class Range:
    """Allowed interval of a number; ``None`` is unbounded, ``*_open`` excludes the bound."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def contains(self, v: float) -> bool:
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            return False
        if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
            return False
        return True

    def describe(self, integer: bool) -> str:
        kind = "un entier" if integer else "un nombre"
        lo = None if self.low is None else f"{'>' if self.low_open else '≥'} {fmt(self.low)}"
        hi = None if self.high is None else f"{'<' if self.high_open else '≤'} {fmt(self.high)}"
        if lo and hi and not self.low_open and not self.high_open:
            return f"{kind} entre {fmt(self.low)} et {fmt(self.high)}"
        if lo and hi:
            return f"{kind} {lo} et {hi}"
        return f"{kind} {lo or hi}" if (lo or hi) else f"{kind} fini"


UNIT = Range(0.0, 1.0)
POSITIVE_INT = Range(1)

RANGES: dict[str, Range] = {
    "embedding.threads": Range(1, 256),
    "matching.hubness": UNIT,
    "matching.hubness_k": POSITIVE_INT,
    "matching.top_k": POSITIVE_INT,
    # 0 would keep no pair of a large block (pairs silently dropped).
    "matching.max_block_pairs": POSITIVE_INT,
    # 0: only the certification pairs holding a candidate or a reviewed pair are scored.
    "matching.max_scored_blocks": Range(0),
    "matching.direction_margin": UNIT,
    "passerelles.full_coverage": UNIT,
    "passerelles.partial_coverage": UNIT,
    "passerelles.equivalent_credit": UNIT,
    "passerelles.partial_credit": UNIT,
    "passerelles.vae_evidence_threshold": UNIT,
    "passerelles.vae_equivalent_threshold": UNIT,
}

# (lower, higher): the first may not exceed the second.
ORDERS: list[tuple[str, str]] = [
    ("passerelles.partial_coverage", "passerelles.full_coverage"),
    ("passerelles.partial_credit", "passerelles.equivalent_credit"),
    ("passerelles.vae_evidence_threshold", "passerelles.vae_equivalent_threshold"),
]

# {channel: number} tables: the range of each number.
CHANNEL_TABLES: dict[str, Range] = {
    "matching.channels": Range(0.0),  # a weight; a negative one would invert a channel
}

# Text settings that name a backend, or that may not be empty.
BACKEND_KEYS = ("matching.clause_backend",)
NON_EMPTY_KEYS = ("embedding.st_model", "embedding.cache_dir", "matching.calibration")


def fmt(v: Any) -> str:
    """A number as a French user reads it: ``0,5``, ``-1``, ``NaN``, ``∞``."""
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v).replace(".", ",")
    return str(v)


def _backends() -> list[str]:
    from crossref.embed import BACKENDS

    return list(BACKENDS)


def check_channel_name(key: str, name: str) -> None:
    """``backend:view`` (or ``backend``, read as ``backend:text``) with a known backend and view."""
    backend, _, view = str(name).partition(":")
    view = view or "text"
    backends = _backends()
    if backend not in backends:
        raise ConfigValueError(key, f": canal {name!r} inconnu : moteur {backend!r} (moteurs : "
                                    f"{', '.join(backends)} ; forme attendue moteur:vue)")
    if view not in VIEWS:
        raise ConfigValueError(key, f": canal {name!r} inconnu : vue {view!r} (vues : {', '.join(VIEWS)})")


def _number(key: str, value: Any, rule: Range | None) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return
    integer = isinstance(value, int)
    if not math.isfinite(value):
        raise ConfigValueError(key, f"= {fmt(value)} : valeur non finie refusée (attendu : "
                                    f"{(rule or Range()).describe(integer)})")
    if rule is not None and not rule.contains(value):
        raise ConfigValueError(key, f"= {fmt(value)} : hors limites (attendu : {rule.describe(integer)})")


def _values(config: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf setting by dotted key."""
    out: dict[str, Any] = {}
    for f in fields(config):
        value = getattr(config, f.name)
        key = f"{prefix}{f.name}"
        if is_dataclass(value):
            out.update(_values(value, f"{key}."))
        else:
            out[key] = value
    return out


def check_config(config: Any) -> None:
    """Raise ConfigValueError for the first value out of its range, in field order."""
    values = _values(config)
    for key, value in values.items():
        if isinstance(value, dict):
            _check_table(key, value)
        elif isinstance(value, str):
            if key in BACKEND_KEYS and value not in _backends():
                raise ConfigValueError(key, f"= {value!r} : moteur inconnu (moteurs : {', '.join(_backends())})")
            if key in NON_EMPTY_KEYS and not value.strip():
                raise ConfigValueError(key, ": valeur vide refusée")
        else:
            _number(key, value, RANGES.get(key))
    for low, high in ORDERS:
        if low in values and high in values and values[low] > values[high]:
            raise ConfigValueError(low, f"= {fmt(values[low])} dépasse {high} = {fmt(values[high])} : "
                                        f"{low} doit être ≤ {high}")


def _check_table(key: str, value: dict[str, Any]) -> None:
    """A name -> number table (channel weights, statistics...)."""
    rule = CHANNEL_TABLES.get(key)
    for name, v in value.items():
        if rule is not None:
            check_channel_name(key, name)
        _number(f"{key}[{name!r}]", v, rule or Range())
    if key == "matching.channels":
        if not value:
            raise ConfigValueError(key, ": aucun canal ; au moins un canal moteur:vue de poids > 0 est attendu")
        if not any(v > 0 for v in value.values()):
            raise ConfigValueError(key, ": tous les poids sont nuls ; au moins un poids > 0 est attendu")


def check_writable_dir(key: str, folder: str | Path) -> Path:
    """A folder the run will write into: it must be (or be creatable as) a writable folder."""
    p = Path(folder)
    if p.exists() and not p.is_dir():
        raise ConfigValueError(key, f"= {str(folder)!r} : ce n'est pas un dossier")
    ancestor = p
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ConfigValueError(key, f"= {str(folder)!r} : dossier impossible à créer ({ancestor} est un fichier)")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ConfigValueError(key, f"= {str(folder)!r} : dossier non accessible en écriture ({ancestor}) ; "
                                    "choisissez un autre dossier ou désactivez le cache (embedding.cache = false)")
    return p
