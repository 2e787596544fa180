"""One home for the words and numbers people read: French labels, statuses and number formats.

Machines and people get different forms of the same value. Tables for machines
(CSV, JSON, SSSOM, the pairs and passerelle tables) keep codes (``equivalent``,
``broader``, ``validated``) and ``.`` decimals; what people read (dashboard,
workbook, CLI text output, figures) goes through this module: French words and
French numbers (« 0,87 », « 42,9 % »).
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

# ---------------------------------------------------------------- relations and review
RELATION_FR = {"equivalent": "équivalente", "partial": "partielle", "none": "aucune"}
# Scope of the source competence relative to the target (see crossref.tables.DIRECTIONS).
DIRECTION_FR = {"same": "même portée", "broader": "source plus large", "narrower": "source plus étroite"}
# The same scopes inside the explanation sentence of a pair (« Relation partielle (…) ; même périmètre. »).
DIRECTION_SENTENCE_FR = {"same": "même périmètre", "broader": "la source couvre plus large",
                         "narrower": "la source ne couvre qu'une partie"}
REVIEW_STATUS_FR = {"suggested": "suggérée", "validated": "validée", "rejected": "rejetée"}
REVIEW_ACTION_FR = {"accept": "acceptée", "reject": "rejetée", "amend": "modifiée"}

# ---------------------------------------------------------------- passerelles
# Status of a target bloc, or of the whole target certification (values of "status" in passerelle results).
STATUS_FULL = "dispense totale possible"
STATUS_PARTIAL = "dispense partielle"
STATUS_NONE = "non couvert"
PASSERELLE_STATUSES = (STATUS_FULL, STATUS_PARTIAL, STATUS_NONE)
# State of one target competence in a passerelle: covered, partly covered, or still to evidence.
COMPETENCE_COVERED = "couverte"
COMPETENCE_PARTIAL = "partiellement couverte"
COMPETENCE_MISSING = "à justifier"


# ---------------------------------------------------------------- numbers
_DECIMAL = re.compile(r"(?<=[\s(])(\d+)\.(\d+)\b")  # « score 0.75 », never an id such as « ICD:C1.1 »


def explanation_fr(text: str) -> str:
    """A pair's explanation as people read it: French decimals (« score 0,75 ; sémantique 0,46 »);
    the pairs table keeps the machine form."""
    return _DECIMAL.sub(r"\1,\2", text or "")


def de(name: str) -> str:
    """« de » before a name, elided before a vowel: ``de("ICD")`` -> ``"d'ICD"``, ``de("NEOMA")`` -> ``"de NEOMA"``."""
    return ("d'" if name[:1].upper() in "AEIOUYÀÂÉÈÊËÎÏÔÛÙ" else "de ") + name


def capitalize_first(text: str) -> str:
    """Upper-case the first letter only (str.capitalize() would lower-case a reviewer's name)."""
    return text[:1].upper() + text[1:]


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def fr_decimal(x: Any, digits: int = 2) -> str:
    """``0.8712`` -> ``"0,87"``; ``"—"`` for a missing value."""
    v = _finite(x)
    return "—" if v is None else f"{v:.{digits}f}".replace(".", ",")


def fr_number(x: Any) -> str:
    """A setting as written, French decimal mark: ``0.591`` -> ``"0,591"``, ``5`` -> ``"5"``."""
    v = _finite(x)
    return "—" if v is None else f"{v:g}".replace(".", ",")


def fr_percent(x: Any, digits: int = 0) -> str:
    """A share in [0, 1] as a French percentage: ``0.429`` -> ``"43 %"`` (``digits=1``: ``"42,9 %"``)."""
    v = _finite(x)
    return "—" if v is None else f"{v:.{digits}%}"[:-1].replace(".", ",") + " %"


def french_int(n: int) -> str:
    """``12345`` -> ``12 345`` (French digit grouping, narrow no-break space)."""
    return f"{n:,}".replace(",", "\u202f")


def french_mb(n_bytes: int) -> str:
    """Bytes as French megabytes (of 1 048 576 bytes, as the upload limit): ``5242880`` -> ``5 Mo``,
    ``1073741824`` -> ``1 024 Mo``, ``1572864`` -> ``1,5 Mo``."""
    text = f"{n_bytes / 2**20:,.1f}"
    text = text[:-2] if text.endswith(".0") else text
    return text.replace(",", "\u202f").replace(".", ",") + " Mo"


# ---------------------------------------------------------------- pairs and review status
def pair_line_fr(source: str, target: str, score: float, relation: str) -> str:
    """``"A:C1 → B:C2 (équivalente, 0,87)"``."""
    return f"{source} → {target} ({RELATION_FR.get(relation, relation)}, {fr_decimal(score)})"


_MACHINE_PAIR = re.compile(r"\(\s*([0-9.]+), (equivalent|partial|none)\)")


def pair_list_fr(text: str) -> str:
    """Machine pair lines ``"A:C1 → B:C2 (0.87, equivalent)"`` -> ``"A:C1 → B:C2 (équivalente, 0,87)"``."""
    return _MACHINE_PAIR.sub(lambda m: f"({RELATION_FR[m.group(2)]}, {fr_decimal(m.group(1))})", text or "")


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


def status_fr(status: str, reviewer: str = "", decided_at: str = "") -> str:
    """``suggérée``, ``validée par X le JJ/MM/AAAA`` or ``rejetée par X le JJ/MM/AAAA``."""
    word = REVIEW_STATUS_FR.get(status, status)
    if status == "suggested":
        return word
    reviewer = (reviewer or "").strip()
    date = french_date(decided_at)
    return word + (f" par {reviewer}" if reviewer else "") + (f" le {date}" if date else "")
