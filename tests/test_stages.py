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
