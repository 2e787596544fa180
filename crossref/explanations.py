"""The sentence a reviewer reads next to a pair, written from the pair's own row.

The scored pairs table holds no explanation (:mod:`crossref.scoring` leaves
the column empty): it is written only for the rows shown or exported.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

_PART_NAMES = ("semantic", "lexical", "criteria")  # the score parts a reviewer reads

def explanation_text(score: float, parts: dict[str, float], rank: int, relation: str, direction: str,
                     phrase_a: str, phrase_b: str, terms: list[str]) -> str:
    """The sentence a reviewer reads next to a pair (French)."""
    from crossref.labels import DIRECTION_SENTENCE_FR, RELATION_FR

    text = (f"Relation {RELATION_FR[relation]} (score {score:.2f} ; sémantique {parts['semantic']:.2f}, "
            f"lexical {parts['lexical']:.2f}, critères {parts['criteria']:.2f} ; rang {rank})")
    if relation != "none":
        text += f" ; {DIRECTION_SENTENCE_FR[direction]}"
    text += f". Passages alignés : « {phrase_a} » ↔ « {phrase_b} »."
    if terms:
        text += f" Termes communs : {', '.join(terms)}."
    return text


_EXPLAINED_FROM = ("score", "semantic", "lexical", "criteria", "rank", "model_relation", "direction",
                   "source_phrase", "target_phrase", "shared_terms")


def explanation_of(row: Any) -> str:
    """The explanation sentence of one pair row (a mapping with the pairs table's columns)."""
    terms = str(row["shared_terms"])
    return explanation_text(float(row["score"]), {k: float(row[k]) for k in _PART_NAMES}, int(row["rank"]),
                            str(row["model_relation"]), str(row["direction"]), str(row["source_phrase"]),
                            str(row["target_phrase"]), terms.split("; ") if terms else [])


def fill_explanations(pairs: pd.DataFrame, where: Any = None) -> pd.DataFrame:
    """``pairs`` (any rows of a pairs table) with each empty ``explanation`` written from the
    row's own columns: the model's score, parts, rank, relation (``model_relation``: the
    explanation says what the model found, a decision does not rewrite it), direction, aligned
    passages and shared terms. ``where`` (a boolean mask): only those rows. A new frame; the
    scored table holds no explanation, callers fill the rows they show or export."""
    out = pairs.copy()
    text = out["explanation"].to_numpy(dtype=object).copy() if "explanation" in out else np.full(len(out), "", object)
    mask = text == ""
    if where is not None:
        mask &= np.asarray(where, dtype=bool)
    rows = np.flatnonzero(mask)
    if len(rows):
        cols = [out[c].to_numpy()[rows].tolist() for c in _EXPLAINED_FROM]
        text[rows] = [
            explanation_text(s, {"semantic": se, "lexical": le, "criteria": cr}, int(rk), rel, d, pa, pb,
                             terms.split("; ") if terms else [])
            for s, se, le, cr, rk, rel, d, pa, pb, terms in zip(*cols)
        ]
    out["explanation"] = pd.Series(text, index=out.index)
    return out


def explain_credited(pairs: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` with explanations on the rows a passerelle can show (relation équivalente or
    partielle, after review): what :func:`crossref.passerelles.passerelle` is given."""
    return fill_explanations(pairs, (pairs["relation"] != "none").to_numpy())
