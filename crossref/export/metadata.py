"""What every export records about a run: tool version, configuration (password masked), model summary.

The French words and number formats live in :mod:`crossref.labels`.
"""

from __future__ import annotations

import json
from typing import Any


def tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("crossref")
    except Exception:  # not installed (running from a checkout)
        return "0.1.0"


def flatten_config(data: dict[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    """``Config.to_dict()`` as (dotted key, text value) rows, e.g. ``embedding.backends.lexical``."""
    rows: list[tuple[str, str]] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(flatten_config(value, name + "."))
        elif isinstance(value, str):
            rows.append((name, value))
        else:
            rows.append((name, json.dumps(value, ensure_ascii=False)))
    return rows


def backends_text(config_dict: dict[str, Any]) -> str:
    """The similarity model in one line: weighted channels (or backends), clause backend, ST model.

    ``use-multilingual:text (1) + lexical:full (1)``; reads ``matching.channels``
    or, in older configurations, ``embedding.backends``.
    """
    match = config_dict.get("matching", {}) or {}
    emb = config_dict.get("embedding", {}) or {}
    weights = match.get("channels") or emb.get("backends") or {}
    text = " + ".join(f"{name} ({float(w):g})" for name, w in weights.items())
    backends = {str(name).split(":", 1)[0] for name in weights}
    if match.get("clause_backend"):
        backends.add(match["clause_backend"])
        text += f" ; alignement des clauses : {match['clause_backend']}"
    if "sentence-transformers" in backends and emb.get("st_model"):
        text += f" ; modèle sentence-transformers : {emb['st_model']}"
    return text


def recorded_config(config: Any) -> dict[str, Any]:
    """``config.to_dict()`` as recorded in exports, with any database password masked."""
    data = config.to_dict()
    url = data.get("database_url") or ""
    if url:
        try:
            from sqlalchemy.engine import make_url

            data["database_url"] = make_url(url).render_as_string(hide_password=True)
        except Exception:  # not a URL sqlalchemy understands: keep the scheme only
            data["database_url"] = url.split("://", 1)[0] + "://***" if "://" in url else "***"
    return data
