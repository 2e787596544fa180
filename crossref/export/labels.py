"""French labels shared by the exports (relations, scopes, review status, metadata)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

RELATION_FR = {"equivalent": "équivalente", "partial": "partielle", "none": "aucune"}
# Scope of the source competence relative to the target (see crossref.tables.DIRECTIONS).
DIRECTION_FR = {"same": "même portée", "broader": "source plus large", "narrower": "source plus étroite"}


def tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("crossref")
    except Exception:  # not installed (running from a checkout)
        return "0.1.0"


def french_date(value: str) -> str:
    """``2024-05-03T10:00:00Z`` -> ``03/05/2024``; anything unparsable is returned as given."""
    value = (value or "").strip()
    if not value:
        return ""
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%d/%m/%Y")
    except ValueError:
        return value


def french_datetime(value: str) -> str:
    """``2024-07-01T09:00:00Z`` -> ``01/07/2024 09:00 UTC``; anything unparsable is returned as given."""
    value = (value or "").strip()
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    offset = dt.utcoffset()
    zone = " UTC" if offset is not None and offset.total_seconds() == 0 else ""
    return dt.strftime("%d/%m/%Y %H:%M") + zone


_PAIR_RELATION = re.compile(r"\((\s*[0-9.]+), (equivalent|partial|none)\)")


def pair_list_fr(text: str) -> str:
    """``"A:C1 → B:C2 (0.87, equivalent)"`` -> ``"A:C1 → B:C2 (0.87, équivalente)"``."""
    return _PAIR_RELATION.sub(lambda m: f"({m.group(1)}, {RELATION_FR[m.group(2)]})", text or "")


def status_fr(status: str, reviewer: str = "", decided_at: str = "") -> str:
    """``suggérée``, ``validée par X le JJ/MM/AAAA`` or ``rejetée par X le JJ/MM/AAAA``."""
    word = {"suggested": "suggérée", "validated": "validée", "rejected": "rejetée"}.get(status, status)
    if status == "suggested":
        return word
    reviewer = (reviewer or "").strip()
    date = french_date(decided_at)
    return word + (f" par {reviewer}" if reviewer else "") + (f" le {date}" if date else "")


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
