"""crossref.pairs: one definition of a pair's orientation, of "proposed" and of "pending"."""

from __future__ import annotations

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from crossref.pairs import first_of_each_pair, is_pending, is_proposed, one_orientation, unordered

ids = st.sampled_from(["A:C1", "A:C2", "B:C1", "B:C2", "C:C1"])
rows = st.lists(st.tuples(ids, ids, st.sampled_from(["equivalent", "partial", "none"]),
                          st.sampled_from(["suggested", "validated", "rejected"])), max_size=30)


def _both(rows) -> pd.DataFrame:
    """A table holding both orientations of each distinct pair (as the pipeline writes it)."""
    seen, out = set(), []
    for s, t, rel, status in rows:
        if s == t or frozenset((s, t)) in seen:
            continue
        seen.add(frozenset((s, t)))
        out += [(s, t, rel, status), (t, s, rel, status)]
    return pd.DataFrame(out, columns=["source", "target", "relation", "status"])


@given(rows)
def test_orientation_helpers_count_each_pair_once(rows) -> None:
    table = _both(rows)
    lo, hi = unordered(table)
    assert (lo <= hi).all()
    swapped = table.rename(columns={"source": "target", "target": "source"})
    lo2, hi2 = unordered(swapped)
    assert lo.tolist() == lo2.tolist() and hi.tolist() == hi2.tolist()
    distinct = len(set(zip(lo, hi)))
    assert len(one_orientation(table)) == distinct == len(table) // 2
    first = first_of_each_pair(table.iloc[::-1])
    assert len(first) == distinct and set(first.index) <= set(table.index)


@given(rows)
def test_pending_is_proposed_and_not_reviewed(rows) -> None:
    table = _both(rows)
    pend, prop = is_pending(table), is_proposed(table)
    assert (prop[pend]).all()
    assert (table.loc[pend, "status"] == "suggested").all()
    expected = table["relation"].isin(["equivalent", "partial"]) & (table["status"] == "suggested")
    assert pend.tolist() == expected.tolist()


@given(rows, st.permutations(["A", "B", "C"]))
def test_exported_orientation_one_row_per_pair_in_the_given_order(rows, order) -> None:
    """The exports' rows (crossref.pairs.one_row_per_pair): each pair once, from the certification
    listed first; the one-way dashboard view prefers that row when both orientations pass."""
    from crossref.pairs import exported_orientation, one_row_per_pair

    table = _both(rows)
    table["source_cert"], table["target_cert"] = table["source"].str[0], table["target"].str[0]
    one = one_row_per_pair(table, order)
    assert len(one) == len(table) // 2 == len(set(zip(*unordered(table))))
    rank = {c: k for k, c in enumerate(order)}
    assert all(rank[s] < rank[t] or (s == t and a < b)
               for s, t, a, b in zip(one["source_cert"], one["target_cert"], one["source"], one["target"]))
    prefer = exported_orientation(table, order)
    shown = first_of_each_pair(table.iloc[::-1], prefer=prefer)
    assert set(zip(shown["source"], shown["target"])) == set(zip(one["source"], one["target"]))
    half = table.iloc[::2]  # one orientation only of each pair (as a filter may leave): kept whichever it is
    assert len(first_of_each_pair(half, prefer=prefer)) == len(half)
