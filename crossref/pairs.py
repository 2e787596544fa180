"""What a pair of the pairs table is, in one place: orientation, "proposed", "pending".

The pairs table (schema ``pairs``, :mod:`crossref.tables`) holds both
orientations of every pair it keeps (A→B and B→A, same score and relation,
directions flipped). Everything that counts or lists pairs *once* goes
through :func:`one_orientation` or :func:`unordered`; "proposed" and
"pending review" are defined here only.
"""

from __future__ import annotations

import pandas as pd

PROPOSED_RELATIONS = ("equivalent", "partial")


def unordered(pairs: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(smaller id, larger id) of each row: the same for both orientations of a pair."""
    s, t = pairs["source"].astype(str), pairs["target"].astype(str)
    first = s <= t
    return s.where(first, t), t.where(first, s)


def one_orientation(pairs: pd.DataFrame) -> pd.DataFrame:
    """One row per pair (the orientation whose source id sorts first)."""
    return pairs[pairs["source"] < pairs["target"]]


def first_of_each_pair(pairs: pd.DataFrame) -> pd.DataFrame:
    """The first row (in the frame's order) of each pair, whichever its orientation."""
    lo, hi = unordered(pairs)
    return pairs[~pd.Series(list(zip(lo, hi)), index=pairs.index).duplicated()]


def is_proposed(pairs: pd.DataFrame) -> pd.Series:
    """The model or a reviewer says équivalente or partielle."""
    return pairs["relation"].isin(PROPOSED_RELATIONS)


def is_pending(pairs: pd.DataFrame) -> pd.Series:
    """Proposed and not reviewed yet."""
    return (pairs["status"] == "suggested") & is_proposed(pairs)
