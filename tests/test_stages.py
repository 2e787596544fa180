"""Properties of the typed stages on random corpora (no model: embeddings drawn at random).

The scoring stage takes :class:`CompetenceViews` and :class:`Embeddings`, so it
can be driven by synthetic vectors: every pair of competences of different
certifications is scored once per orientation, scores are probabilities, both
orientations agree, and adding a certification never moves the others' pairs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossref.adapter import Adapter
from crossref.calibration import load_artifact
from crossref.config import Config
from crossref.corpus_views import CompetenceViews
from crossref.embeddings import Embeddings
from crossref.scoring import score_pairs

CONFIG = Config()
DIM = 8


def _artifact():
    """The shipped artifact; its supervised adapter (if any) replaced by a random one of the synthetic size."""
    art = load_artifact(CONFIG.matching.calibration)
    if art.adapter is None:
        return art
    rng = np.random.default_rng(0)
    d, r = DIM * len(art.adapter.channels), art.adapter.a.shape[1]
    return replace(art, adapter=Adapter(art.adapter.channels, 0.3 * rng.normal(size=(d, r)),
                                        0.3 * rng.normal(size=(r, d))))


ARTIFACT = _artifact()


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    x = rng.normal(size=(n, DIM)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def synthetic(sizes: list[list[int]], seed: int) -> tuple[CompetenceViews, Embeddings]:
    """Certifications C0, C1… with ``sizes[c][b]`` competences in bloc b; random unit vectors.
    Each certification draws from its own generator: adding one never changes another's vectors."""
    ids, certs, blocs, clauses, vectors, parts, clause_vecs, titles = [], [], [], [], [], [], [], []
    for c, bloc_sizes in enumerate(sizes):
        rng = np.random.default_rng([seed, c])
        for b, n in enumerate(bloc_sizes):
            title = _unit(rng, 1)
            for k in range(n):
                ids.append(f"C{c}:B{b}.{k}")
                certs.append(f"C{c}")
                blocs.append(f"C{c}:B{b}")
                n_clauses = int(rng.integers(1, 4))
                clauses.append([f"clause {j} de {ids[-1]}" for j in range(n_clauses)])
                clause_vecs.append(_unit(rng, n_clauses))
                vectors.append(_unit(rng, len(CONFIG.matching.channels)))
                parts.append(_unit(rng, 3))
                titles.append(title[0])
    n = len(ids)
    texts = [f"texte {i}" for i in ids]
    views = CompetenceViews(ids=ids, certs=np.array(certs), blocs=blocs,
                            views={"text": texts, "full": texts, "core": texts, "criteria": texts},
                            clauses=clauses, bloc_titles=[b for b in blocs])
    stacked, part = np.stack(vectors, axis=1), np.stack(parts, axis=1)
    position = {b: i for i, b in enumerate(dict.fromkeys(blocs))}
    emb = Embeddings(
        channels=dict(CONFIG.matching.channels), clause_backend=CONFIG.matching.clause_backend, embedders={},
        vectors={ch: stacked[k] for k, ch in enumerate(CONFIG.matching.channels)},
        present={ch: np.ones(n, bool) for ch in CONFIG.matching.channels},
        clause_vectors=np.concatenate(clause_vecs), clause_lengths=np.array([len(c) for c in clauses]),
        lexical=None, part_vectors={k: part[m] for m, k in enumerate(("semantic", "lexical", "criteria"))},
        terms=[([], set()) for _ in ids], bloc_index=np.array([position[b] for b in blocs]),
        bloc_title_vectors=np.stack(titles),
    )
    return views, emb


corpora = st.lists(st.lists(st.integers(1, 4), min_size=1, max_size=3), min_size=2, max_size=4)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora, st.integers(0, 10_000))
def test_every_cross_pair_scored_once_per_orientation(sizes, seed):
    views, emb = synthetic(sizes, seed)
    pairs = score_pairs(views, emb, CONFIG, ARTIFACT)
    certs = dict(zip(views.ids, views.certs))
    n = len(views.ids)
    expected = sum(1 for i in views.ids for j in views.ids if certs[i] != certs[j])
    assert len(pairs) == expected <= n * n
    assert (pairs["source_cert"] != pairs["target_cert"]).all()
    assert pairs["score"].between(0, 1).all()
    # Both orientations carry the same score and relation; the direction flips.
    flip = {"same": "same", "broader": "narrower", "narrower": "broader"}
    back = pairs.set_index(["source", "target"])
    rev = back.loc[list(zip(pairs["target"], pairs["source"]))]
    np.testing.assert_array_equal(rev["score"].to_numpy(), pairs["score"].to_numpy())
    assert (rev["relation"].to_numpy() == pairs["relation"].to_numpy()).all()
    assert (rev["direction"].map(flip).to_numpy() == pairs["direction"].to_numpy()).all()


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora, st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(0, 10_000))
def test_adding_a_certification_moves_no_other_pair(sizes, extra, seed):
    base = score_pairs(*synthetic(sizes, seed), CONFIG, ARTIFACT)
    more = score_pairs(*synthetic([*sizes, extra], seed), CONFIG, ARTIFACT)
    merged = base.merge(more, on=["source", "target"], suffixes=("", "_more"))
    assert len(merged) == len(base) < len(more)
    np.testing.assert_array_equal(merged["score"], merged["score_more"])
    assert (merged["relation"] == merged["relation_more"]).all()
    assert (merged["rank"] == merged["rank_more"]).all()


def _top_k_other(views: CompetenceViews, emb: Embeddings, k: int) -> set[tuple[str, str]]:
    """Brute force: every competence's k best competences of other certifications on the
    candidate vectors (full sort), both orientations."""
    from crossref.pair_candidates import candidate_vectors

    x = candidate_vectors(emb, ARTIFACT.channels).astype(np.float64)
    sims = x @ x.T
    sims[views.certs[:, None] == views.certs[None, :]] = -np.inf
    order = np.argsort(-sims, axis=1, kind="stable")[:, :k]
    found = {(views.ids[i], views.ids[j]) for i in range(len(views.ids)) for j in order[i] if np.isfinite(sims[i, j])}
    return found | {(t, s) for s, t in found}


many_corpora = st.lists(st.lists(st.integers(1, 3), min_size=1, max_size=2), min_size=2, max_size=7)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(many_corpora, st.integers(1, 4), st.integers(0, 10_000), st.booleans(), st.data())
def test_pruned_table_rows_are_the_exhaustive_rows(sizes, k, seed, every_block, data):
    """The candidate path keeps exactly: the candidates, the reviewed pairs, and every proposed pair
    of the blocks it scores (all of them up to max_scored_blocks, else those holding a candidate or
    a reviewed pair); each kept row is the exhaustive row, column for column."""
    from dataclasses import replace

    from crossref.tables import PAIR_COLUMNS

    views, emb = synthetic(sizes, seed)
    full = score_pairs(views, emb, CONFIG, ARTIFACT, exhaustive=True)
    cross = list(zip(full["source"], full["target"]))
    reviewed = data.draw(st.lists(st.sampled_from(cross), max_size=3))
    config = replace(CONFIG, matching=replace(CONFIG.matching, top_k=k,
                                              max_scored_blocks=10_000 if every_block else 0))
    pruned = score_pairs(views, emb, config, ARTIFACT, reviewed=reviewed, exhaustive=False)
    key = ["source", "target"]
    merged = pruned.merge(full, on=key, suffixes=("", "_full"))
    assert len(merged) == len(pruned)
    for col in PAIR_COLUMNS[2:]:
        assert (merged[col] == merged[f"{col}_full"]).all(), col
    wanted = _top_k_other(views, emb, k) | set(reviewed) | {(t, s) for s, t in reviewed}
    cert = dict(zip(views.ids, views.certs))
    scored = ({frozenset((cert[s], cert[t])) for s, t in cross} if every_block
              else {frozenset((cert[s], cert[t])) for s, t in wanted})
    proposed = {(s, t) for s, t, r in zip(full["source"], full["target"], full["relation"])
                if r != "none" and frozenset((cert[s], cert[t])) in scored}
    assert set(zip(pruned["source"], pruned["target"])) == wanted | proposed


def test_blocks_without_a_candidate_are_scored_up_to_max_scored_blocks():
    """Ten certifications and one candidate per competence: some certification pairs hold no
    candidate. Within max_scored_blocks their proposed pairs are kept (the table's proposals are
    exhaustive scoring's); with 0 those blocks are not scored and keep no row."""
    from dataclasses import replace

    key = ["source", "target"]
    for seed in range(20):  # random vectors: find a corpus with proposals in a block without a candidate
        views, emb = synthetic([[2, 2]] * 10, seed)
        full = score_pairs(views, emb, CONFIG, ARTIFACT, exhaustive=True)
        cert = dict(zip(views.ids, views.certs))
        with_candidate = {frozenset((cert[s], cert[t])) for s, t in _top_k_other(views, emb, 1)}
        proposed = full[full["relation"] != "none"][key]
        lone = proposed[[frozenset((cert[s], cert[t])) not in with_candidate
                         for s, t in zip(proposed["source"], proposed["target"])]]
        if len(lone):
            break
    assert len(lone) > 0 and len(with_candidate) < 10 * 9 // 2
    for limit, every_block in [(CONFIG.matching.max_scored_blocks, True), (0, False)]:
        config = replace(CONFIG, matching=replace(CONFIG.matching, top_k=1, max_scored_blocks=limit))
        pruned = score_pairs(views, emb, config, ARTIFACT, exhaustive=False)
        assert len(lone.merge(pruned, on=key)) == (len(lone) if every_block else 0)
        assert len(proposed.merge(pruned, on=key)) == len(proposed) - (0 if every_block else len(lone))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora, st.integers(0, 10_000))
def test_enough_candidates_keep_every_proposed_pair(sizes, seed):
    """With k at least the corpus size every block is scored: every proposed pair is kept."""
    from dataclasses import replace

    views, emb = synthetic(sizes, seed)
    full = score_pairs(views, emb, CONFIG, ARTIFACT, exhaustive=True)
    config = replace(CONFIG, matching=replace(CONFIG.matching, top_k=len(views.ids)))
    pruned = score_pairs(views, emb, config, ARTIFACT, exhaustive=False)
    proposed = full[full["relation"] != "none"][["source", "target"]]
    assert len(proposed.merge(pruned, on=["source", "target"])) == len(proposed)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpora, st.integers(0, 10_000), st.data())
def test_only_scores_exactly_the_asked_pairs(sizes, seed, data):
    """score_pairs(only=…) (a reviewed pair the table lacks): those rows, both orientations, as exhaustive."""
    views, emb = synthetic(sizes, seed)
    full = score_pairs(views, emb, CONFIG, ARTIFACT, exhaustive=True)
    asked = data.draw(st.lists(st.sampled_from(list(zip(full["source"], full["target"]))), min_size=1, max_size=4))
    rows = score_pairs(views, emb, CONFIG, ARTIFACT, only=asked)
    assert set(zip(rows["source"], rows["target"])) == set(asked) | {(t, s) for s, t in asked}
    merged = rows.merge(full, on=["source", "target"], suffixes=("", "_full"))
    assert (merged["score"] == merged["score_full"]).all() and (merged["rank"] == merged["rank_full"]).all()


def test_explanations_are_written_from_the_row():
    """fill_explanations writes the sentence exhaustive scoring used to store, from the row's columns;
    an explanation already there is kept, and ``where`` limits the rows."""
    from crossref.explanations import explanation_of, explanation_text, fill_explanations

    views, emb = synthetic([[2, 1], [3]], 7)
    pairs = score_pairs(views, emb, CONFIG, ARTIFACT)
    assert (pairs["explanation"] == "").all()
    filled = fill_explanations(pairs)
    row = filled.iloc[0]
    assert row["explanation"] == explanation_text(
        row["score"], {k: row[k] for k in ("semantic", "lexical", "criteria")}, int(row["rank"]),
        row["model_relation"], row["direction"], row["source_phrase"], row["target_phrase"], []) == explanation_of(row)
    only_first = fill_explanations(pairs, np.arange(len(pairs)) == 0)
    assert only_first["explanation"].iloc[0] == row["explanation"] and (only_first["explanation"].iloc[1:] == "").all()
    kept = fill_explanations(pairs.assign(explanation="déjà écrite"))
    assert (kept["explanation"] == "déjà écrite").all()
