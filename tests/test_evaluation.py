"""Evaluation metrics pinned on a hand-computed example; gold file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossref.errors import InputError
from crossref.evaluation import (
    GoldPair,
    Metrics,
    evaluate,
    gold_links,
    pair_prf,
    ranking_metrics,
    read_gold,
)

# Certification A has 3 competences, B has 4. The score of a against b (and of
# b against a: this hand-written scorer is symmetric):
#
#            B:b1  B:b2  B:b3  B:b4
#   A:a1     0.9   0.2   0.1   0.3
#   A:a2     0.9   0.5   0.5   0.8
#   A:a3     0.1   0.7   0.2   0.7
SCORES = {
    "A:a1": {"B:b1": 0.9, "B:b2": 0.2, "B:b3": 0.1, "B:b4": 0.3},
    "A:a2": {"B:b1": 0.9, "B:b2": 0.5, "B:b3": 0.5, "B:b4": 0.8},
    "A:a3": {"B:b1": 0.1, "B:b2": 0.7, "B:b3": 0.2, "B:b4": 0.7},
}
A = ["A:a1", "A:a2", "A:a3"]
B = ["B:b1", "B:b2", "B:b3", "B:b4"]
CANDIDATES = {"A": A, "B": B}


def scores() -> dict[tuple[str, str], float]:
    out = {}
    for a, row in SCORES.items():
        for b, s in row.items():
            out[(a, b)] = s
            out[(b, a)] = s
    return out


GOLD = [
    GoldPair("A:a1", "B:b1", "equivalent"),
    GoldPair("A:a2", "B:b3", "partial"),
    GoldPair("A:a3", "B:b2", "equivalent"),
    GoldPair("B:b4", "A:a3", "partial"),  # written B -> A: gold pairs are symmetric
]

# Ranks of the best gold match, non-gold ties counted above it (pessimistic):
#   a1 in B: b1 0.9, nothing >= 0.9                         -> 1
#   a2 in B: b3 0.5; b1 0.9, b4 0.8, b2 0.5 (tie) are >=    -> 4
#   a3 in B: {b2, b4} 0.7; b4 is gold, so its tie is free    -> 1
#   b1 in A: a1 0.9; a2 0.9 (tie)                           -> 2
#   b2 in A: a3 0.7; a2 0.5, a1 0.2                         -> 1
#   b3 in A: a2 0.5; a3 0.2, a1 0.1                         -> 1
#   b4 in A: a3 0.7; a2 0.8                                 -> 2
RANKS = [1, 4, 1, 2, 1, 1, 2]
HITS1 = 4 / 7
HITS3 = 6 / 7
MRR = (1 + 1 / 4 + 1 + 1 / 2 + 1 + 1 + 1 / 2) / 7  # = 0.75

# Predicted pairs: in scope a1-b1 (gold), a2-b4 (wrong), a3-b2 (gold, also given
# reversed: counted once); out of scope a1-a2 (same certification) and a1-C:c1
# (a certification pair the gold does not cover).
PREDICTED = [("A:a1", "B:b1"), ("B:b4", "A:a2"), ("A:a3", "B:b2"), ("B:b2", "A:a3"),
             ("A:a1", "A:a2"), ("A:a1", "C:c1")]
PRECISION = 2 / 3
RECALL = 2 / 4
F1 = 2 * PRECISION * RECALL / (PRECISION + RECALL)  # = 4/7


def test_gold_links_are_symmetric() -> None:
    links = gold_links(GOLD)
    assert links == {
        ("A:a1", "B"): {"B:b1"}, ("B:b1", "A"): {"A:a1"},
        ("A:a2", "B"): {"B:b3"}, ("B:b3", "A"): {"A:a2"},
        ("A:a3", "B"): {"B:b2", "B:b4"}, ("B:b2", "A"): {"A:a3"},
        ("B:b4", "A"): {"A:a3"},
    }


def test_ranking_metrics_hand_computed() -> None:
    h1, h3, mrr, n = ranking_metrics(scores(), CANDIDATES, GOLD)
    assert n == len(RANKS) == 7
    assert h1 == pytest.approx(HITS1)
    assert h3 == pytest.approx(HITS3)
    assert mrr == pytest.approx(MRR) and mrr == pytest.approx(0.75)


def test_ties_are_pessimistic_constant_scorer() -> None:
    """A constant scorer ranks every gold match below all the non-gold candidates."""
    constant = {(x, y): 0.5 for x in A for y in B} | {(y, x): 0.5 for x in A for y in B}
    h1, h3, mrr, n = ranking_metrics(constant, CANDIDATES, GOLD)
    # ranks: a1 4, a2 4, a3 3 (two gold among four), b1..b4 3 each
    ranks = [4, 4, 3, 3, 3, 3, 3]
    assert n == 7
    assert h1 == 0.0
    assert h3 == pytest.approx(5 / 7)
    assert mrr == pytest.approx(sum(1 / r for r in ranks) / 7)


def test_missing_score_counts_as_minus_infinity() -> None:
    partial = {k: v for k, v in scores().items() if k != ("A:a1", "B:b1")}
    h1, _, mrr, _ = ranking_metrics(partial, CANDIDATES, GOLD)
    # a1's gold match is unscored: every scored non-gold candidate (3) ranks above it.
    assert h1 == pytest.approx(3 / 7)
    assert mrr == pytest.approx(MRR - (1 - 1 / 4) / 7)


def test_no_gold_gives_zero_queries() -> None:
    assert ranking_metrics(scores(), CANDIDATES, []) == (0.0, 0.0, 0.0, 0)


def test_pair_prf_hand_computed() -> None:
    p, r, f1, n_pred, n_gold, tp = pair_prf(PREDICTED, GOLD)
    assert (n_pred, n_gold, tp) == (3, 4, 2)
    assert p == pytest.approx(PRECISION)
    assert r == pytest.approx(RECALL)
    assert f1 == pytest.approx(F1) and f1 == pytest.approx(4 / 7)


def test_pair_prf_edge_cases() -> None:
    assert pair_prf([], GOLD) == (0.0, 0.0, 0.0, 0, 4, 0)
    perfect = [(g.source, g.target) for g in GOLD]
    assert pair_prf(perfect, GOLD)[:3] == (1.0, 1.0, 1.0)
    assert pair_prf([("A:a1", "A:a1")], GOLD)[3] == 0  # a pair of a competence with itself is ignored


def test_evaluate_combines_both() -> None:
    m = evaluate(scores(), CANDIDATES, PREDICTED, GOLD)
    assert isinstance(m, Metrics)
    assert m.queries == 7 and (m.predicted, m.gold, m.true_positives) == (3, 4, 2)
    assert m.to_dict() == pytest.approx({
        "hits_at_1": HITS1, "hits_at_3": HITS3, "mrr": MRR, "queries": 7,
        "precision": PRECISION, "recall": RECALL, "f1": F1,
        "predicted": 3, "gold": 4, "true_positives": 2,
    })


# -- gold files ----------------------------------------------------------------------------


def _gold(tmp_path: Path, text: str, name: str = "gold.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_read_gold(tmp_path: Path) -> None:
    text = (
        "source,target,relation,note\n"
        "A:a1,B:b1,equivalent,\n"
        "\n"
        " A:a2 , B:b3 ,partial,\"note, with comma\"\n"
        "B:b4,A:a3,partial,\n"
    )
    pairs = read_gold(_gold(tmp_path, text))
    assert pairs == [
        GoldPair("A:a1", "B:b1", "equivalent"),
        GoldPair("A:a2", "B:b3", "partial"),
        GoldPair("B:b4", "A:a3", "partial"),
    ]
    # Column order is free.
    reordered = read_gold(_gold(tmp_path, "relation,target,source\nequivalent,B:b1,A:a1\n", "r.csv"))
    assert reordered == [GoldPair("A:a1", "B:b1", "equivalent")]


def test_read_gold_as_a_french_spreadsheet_saves_it(tmp_path: Path) -> None:
    """« ; » or tab separated, headers in any case, French relation names: the same pairs."""
    expected = [GoldPair("A:a1", "B:b1", "equivalent"), GoldPair("A:a2", "B:b3", "partial")]
    semicolon = "Source ; Target ; Relation ; Note\r\nA:a1;B:b1;Équivalente;vu, revu\r\nA:a2;B:b3;partielle;\r\n"
    assert read_gold(_gold(tmp_path, semicolon, "s.csv")) == expected
    tab = "relation\tsource\ttarget\nequivalent\tA:a1\tB:b1\nPARTIAL\tA:a2\tB:b3\n"
    assert read_gold(_gold(tmp_path, tab, "t.csv")) == expected
    # A comma file whose notes hold « ; » is still read as comma-separated.
    comma = "source,target,relation,note\nA:a1,B:b1,equivalent,a; b\nA:a2,B:b3,partiel,\n"
    got = read_gold(_gold(tmp_path, comma, "c.csv"))
    assert got == expected and got[1].line == 3 and got[1].path == str(tmp_path / "c.csv")


def test_gold_unknown_competence_names_file_and_line(tmp_path: Path) -> None:
    from crossref.evaluation import check_known

    gold = read_gold(_gold(tmp_path, "source,target,relation\nA:a1,B:b1,partial\n\nA:a1,B:zz,partial\n"))
    check_known(gold, {"A:a1", "B:b1", "B:zz"})  # all known: nothing raised
    with pytest.raises(InputError) as info:
        check_known(gold, {"A:a1", "B:b1"}, " (manque-t-il --data ?)")
    err = info.value
    assert (err.path, err.line, err.column) == (str(tmp_path / "gold.csv"), 4, "target")
    assert "B:zz" in str(err) and "manque-t-il --data" in str(err)


def _error(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        read_gold(path)
    assert info.value.path == str(path) and str(info.value).startswith(str(path))
    return info.value


def test_gold_missing_column(tmp_path: Path) -> None:
    err = _error(_gold(tmp_path, "source,target,kind\nA:a1,B:b1,equivalent\n"))
    assert err.line == 1 and err.column == "relation" and "relation" in str(err) and "ligne 1" in str(err)


def test_gold_bad_relation_names_the_row(tmp_path: Path) -> None:
    text = "source,target,relation\nA:a1,B:b1,equivalent\nA:a2,B:b3,similar\n"
    err = _error(_gold(tmp_path, text))
    assert err.line == 3 and "'similar'" in str(err) and "ligne 3" in str(err)
    # Line numbers are physical lines: blank lines count.
    err = _error(_gold(tmp_path, "source,target,relation\n\nA:a1,B:b1,equivalent\n\nA:a2,B:b3,none\n", "g2.csv"))
    assert err.line == 5


def test_gold_bad_id(tmp_path: Path) -> None:
    err = _error(_gold(tmp_path, "source,target,relation\nA:a1,B:b1,equivalent\na2,B:b3,partial\n"))
    assert err.line == 3 and err.column == "source" and "'a2'" in str(err)
    err = _error(_gold(tmp_path, "source,target,relation\nA:a1,,partial\n", "g2.csv"))
    assert err.line == 2 and err.column == "target"


def test_gold_pair_inside_one_certification_is_refused(tmp_path: Path) -> None:
    err = _error(_gold(tmp_path, "source,target,relation\nA:a1,B:b1,partial\nA:a1,A:a2,partial\n"))
    assert err.line == 3 and err.column == "target" and "même certification (A)" in str(err)


@pytest.mark.parametrize("second", ["A:a1,B:b1,equivalent", "A:a1,B:b1,partial", "B:b1,A:a1,partial"])
def test_gold_duplicate_pair_names_both_lines(tmp_path: Path, second: str) -> None:
    # Either orientation, same or another relation: the row is a mistake or a contradiction.
    text = f"source,target,relation\nA:a1,B:b1,equivalent\nA:a2,B:b2,partial\n{second}\n"
    err = _error(_gold(tmp_path, text))
    assert err.line == 4 and "en double (déjà ligne 2, equivalent)" in str(err)


def test_references_from_several_files(tmp_path: Path) -> None:
    from crossref.fitting import read_references

    a = _gold(tmp_path, "source,target,relation\nA:a1,B:b1,equivalent\nA:a2,B:b2,partial\n", "a.csv")
    same = _gold(tmp_path, "source,target,relation\nB:b1,A:a1,equivalent\nA:a3,C:c1,partial\n", "same.csv")
    assert read_references([a, same]) == [GoldPair("A:a1", "B:b1", "equivalent"), GoldPair("A:a2", "B:b2", "partial"),
                                          GoldPair("A:a3", "C:c1", "partial")]
    other = _gold(tmp_path, "source,target,relation\nA:a3,C:c1,partial\nA:a2,B:b2,equivalent\n", "other.csv")
    with pytest.raises(InputError) as info:
        read_references([a, other])
    assert info.value.path == str(other)
    assert "A:a2 – B:b2 est equivalent ici mais partial dans a.csv" in str(info.value)


def test_gold_whole_file_errors(tmp_path: Path) -> None:
    assert "vide" in str(_error(_gold(tmp_path, "", "empty.csv")))
    assert "aucune paire" in str(_error(_gold(tmp_path, "source,target,relation\n", "header.csv")))
    latin = tmp_path / "latin.csv"
    latin.write_bytes("source,target,relation\nA:é,B:b1,partial\n".encode("latin-1"))
    assert "encodage" in str(_error(latin))
    assert "introuvable" in str(_error(tmp_path / "absent.csv"))
