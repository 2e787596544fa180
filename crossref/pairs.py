"""What a pair of the pairs table is, in one place: orientation, "proposed", "pending".

The pairs table (schema ``pairs``, :mod:`crossref.tables`) holds both
orientations of every pair it keeps (A→B and B→A, same score and relation,
directions flipped). Everything that counts or lists pairs *once* goes
through :func:`one_orientation` or :func:`unordered`; "proposed" and
"pending review" are defined here only.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def first_of_each_pair(pairs: pd.DataFrame, prefer: pd.Series | None = None) -> pd.DataFrame:
    """The first row (in the frame's order) of each pair, whichever its orientation; with
    ``prefer`` (a boolean mask over a frame holding these rows), the preferred row of a pair
    whose two orientations are both here."""
    lo, hi = unordered(pairs)
    key = pd.Series(list(zip(lo, hi)), index=pairs.index)
    if prefer is None:
        return pairs[~key.duplicated()]
    return pairs[~key.duplicated(keep=False) | prefer.reindex(pairs.index, fill_value=False)]


def exported_orientation(pairs: pd.DataFrame, cert_ids: Iterable[str] | None = None) -> pd.Series:
    """True on the one row of each pair that the CSV / JSON exports and the workbook's pair sheets
    hold and the dashboard lists: oriented from the certification listed first in ``cert_ids``
    (default: the order in which certifications first appear in the table, the corpus order) to
    the later, within one certification from the smaller id. ``direction`` is then the source's
    scope. Both orientations have the same score, relation and decision, so counts over these
    rows equal counts over :func:`one_orientation`."""
    order = list(dict.fromkeys([*(cert_ids or []), *pd.unique(pairs["source_cert"]),
                                *pd.unique(pairs["target_cert"])]))
    position = {c: k for k, c in enumerate(order)}
    ps, pt = pairs["source_cert"].map(position), pairs["target_cert"].map(position)
    return (ps < pt) | ((ps == pt) & (pairs["source"] < pairs["target"]))


def one_row_per_pair(pairs: pd.DataFrame, cert_ids: Iterable[str] | None = None) -> pd.DataFrame:
    """The pairs table, each pair once in the exports' orientation (:func:`exported_orientation`);
    index reset."""
    return pairs[exported_orientation(pairs, cert_ids)].reset_index(drop=True)


def is_proposed(pairs: pd.DataFrame) -> pd.Series:
    """The model or a reviewer says équivalente or partielle."""
    return pairs["relation"].isin(PROPOSED_RELATIONS)


def is_pending(pairs: pd.DataFrame) -> pd.Series:
    """Proposed and not reviewed yet."""
    return (pairs["status"] == "suggested") & is_proposed(pairs)
