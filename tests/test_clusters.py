"""Clustering of competences: groups, order, determinism, bounded path, c-TF-IDF labels, schemas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crossref import clusters as cl
from crossref.errors import CrossrefError
from crossref.tables import SCHEMAS, validate


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def _groups(seed: int = 0) -> tuple[np.ndarray, list[str], list[str], list[str]]:
    """Two tight groups spanning certifications (around e0 and e1) and an outlier (e2)."""
    rng = np.random.default_rng(seed)
    base = np.eye(8)
    x = np.vstack([base[0] + 0.05 * rng.normal(size=(4, 8)),
                   base[1] + 0.05 * rng.normal(size=(3, 8)),
                   base[2][None, :]])
    ids = ["AA:C1", "BB:C1", "CC:C1", "AA:C2", "AA:C3", "BB:C2", "AA:C4", "CC:C2"]
    certs = [i.split(":")[0] for i in ids]
    texts = [
        "Assurer la veille concurrentielle du marché",
        "Organiser une veille concurrentielle sur son marché",
        "Veille stratégique et concurrentielle des marchés",
        "Produire une veille du marché et des concurrents",
        "Négocier les conditions commerciales avec le client",
        "Conduire une négociation commerciale",
        "Négociation des contrats avec les clients",
        "Manager une équipe de vente",
    ]
    return _unit(x), ids, certs, texts


def test_two_groups_and_an_outlier() -> None:
    x, ids, certs, texts = _groups()
    df = cl.cluster_competences(x, ids, certs, texts)
    assert list(df.columns) == ["cluster", "label", "size", "certifications", "competence", "certification"]
    assert len(df) == len(ids) and set(df["competence"]) == set(ids)
    of = dict(zip(df["competence"], df["cluster"]))
    veille = {of[i] for i in ids[:4]}
    nego = {of[i] for i in ids[4:7]}
    assert len(veille) == 1 and len(nego) == 1 and veille != nego
    assert of["CC:C2"] not in veille | nego
    # Ordered by number of certifications, then size: veille (3 certs, 4) before négociation (2 certs, 3).
    assert of["AA:C1"] == 0 and of["AA:C3"] == 1 and of["CC:C2"] == 2
    assert df["cluster"].tolist() == sorted(df["cluster"].tolist())
    row = df.set_index("competence").loc["AA:C1"]
    assert row["size"] == 4 and row["certifications"] == 3 and row["certification"] == "AA"
    out = df.set_index("competence").loc["CC:C2"]
    assert out["size"] == 1 and out["certifications"] == 1


def test_labels_pick_the_distinguishing_terms() -> None:
    x, ids, certs, texts = _groups()
    df = cl.cluster_competences(x, ids, certs, texts)
    labels = df.drop_duplicates("cluster").set_index("cluster")["label"]
    first = labels[0].split(", ")
    assert any("veille" in t for t in first[:2]) and "négociation" not in labels[0]
    assert "négociation" in labels[1] and "veille" not in labels[1]
    assert "équipe" in labels[2]  # accents kept: the surface form, not the folded key
    assert 1 <= len(first) <= cl.DEFAULT_TERMS


def test_ctfidf_prefers_group_specific_over_shared_terms() -> None:
    # "client" is everywhere: it must not lead any label.
    texts = ["client veille marché", "clients, veille, concurrence", "client négociation contrat",
             "client, négociation, remise", "client budget", "client budget coût", "client équipe",
             "équipe client"]
    labels = cl.cluster_labels(texts, [0, 0, 1, 1, 2, 2, 3, 3], n_terms=2)
    assert labels[0].split(", ")[0] == "veille"
    assert labels[1].split(", ")[0] == "négociation"
    assert labels[2].split(", ")[0] == "budget"
    assert all("client" not in labels[c] for c in (0, 1, 2))
    assert labels[3] == "équipe, client"  # nothing better to say: the shared word comes last


def test_labels_phrases_acronyms_and_stop_words() -> None:
    texts = ["Suivre les tableaux de bord commerciaux", "Construire des tableaux de bord en matière de ventes",
             "Exploiter le CRM", "Paramétrer un outil CRM vis-à-vis des clients"]
    labels = cl.cluster_labels(texts, [0, 0, 1, 1], n_terms=3)
    assert labels[0].split(", ")[0] == "tableaux de bord"  # a shared phrase replaces its words
    assert "bord" not in labels[0].split(", ")[1:]
    assert "matière" not in labels[0] and "vis" not in labels[1].split(", ")
    assert "CRM" in labels[1]  # acronyms keep their case


def test_deterministic_and_input_order_free_numbering() -> None:
    x, ids, certs, texts = _groups()
    a = cl.cluster_competences(x, ids, certs, texts)
    b = cl.cluster_competences(x, ids, certs, texts)
    pd.testing.assert_frame_equal(a, b)
    perm = np.random.default_rng(1).permutation(len(ids))
    c = cl.cluster_competences(x[perm], [ids[i] for i in perm], [certs[i] for i in perm],
                               [texts[i] for i in perm])
    assert dict(zip(a["competence"], a["cluster"])) == dict(zip(c["competence"], c["cluster"]))


def test_threshold_controls_granularity() -> None:
    x, ids, certs, texts = _groups()
    assert cl.cluster_competences(x, ids, certs, texts, distance_threshold=1e-6)["cluster"].nunique() == len(ids)
    assert cl.cluster_competences(x, ids, certs, texts, distance_threshold=1.5)["cluster"].nunique() == 1


def test_bounded_path_above_max_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    centers = np.eye(16)[:5]
    n = 400
    which = rng.integers(0, 5, n)
    x = _unit(centers[which] + 0.03 * rng.normal(size=(n, 16)))
    ids = [f"C{i % 7}:X{i}" for i in range(n)]
    certs = [i.split(":")[0] for i in ids]
    texts = [f"thème{w} compétence" for w in which]

    # The bounded path agglomerates centroids only: never an n × n distance matrix.
    seen: list[int] = []
    real = cl._agglomerate
    monkeypatch.setattr(cl, "_agglomerate", lambda z, t: seen.append(len(z)) or real(z, t))
    df = cl.cluster_competences(x, ids, certs, texts, max_exact=60, seed=3)
    assert seen and max(seen) <= 60  # only centroids were agglomerated
    assert len(df) == n and df["cluster"].nunique() == 5
    of = dict(zip(df["competence"], df["cluster"]))
    for w in range(5):
        assert len({of[ids[i]] for i in np.nonzero(which == w)[0]}) == 1
    again = cl.cluster_competences(x, ids, certs, texts, max_exact=60, seed=3)
    pd.testing.assert_frame_equal(df, again)


def test_edge_cases() -> None:
    empty = cl.cluster_competences(np.zeros((0, 4)), [], [], [])
    assert len(empty) == 0 and list(empty.columns) == cl.CLUSTER_COLUMNS
    one = cl.cluster_competences(np.ones((1, 4)) / 2, ["AA:C1"], ["AA"], ["Veille"])
    assert one["cluster"].tolist() == [0] and one["label"].tolist() == ["veille"]
    # A zero vector (a text no model could embed) stands alone instead of breaking cosine.
    x = np.array([[1.0, 0.0], [1.0, 0.01], [0.0, 0.0]])
    df = cl.cluster_competences(x, ["AA:C1", "BB:C1", "CC:C1"], ["AA", "BB", "CC"], ["a b", "a c", "d"])
    assert df.set_index("competence")["size"].to_dict() == {"AA:C1": 2, "BB:C1": 2, "CC:C1": 1}
    with pytest.raises(ValueError):
        cl.cluster_competences(np.ones((2, 3)), ["AA:C1"], ["AA"], ["x"])
    with pytest.raises(ValueError):
        cl.cluster_competences(np.full((2, 3), np.nan), ["AA:C1", "BB:C1"], ["AA", "BB"], ["x", "y"])
    with pytest.raises(ValueError):
        cl.cluster_competences(np.ones((2, 3)), ["AA:C1", "AA:C1"], ["AA", "AA"], ["x", "y"])


def test_summary_and_schemas() -> None:
    x, ids, certs, texts = _groups()
    df = cl.cluster_competences(x, ids, certs, texts)
    s = cl.cluster_summary(df)
    assert list(s.columns) == ["cluster", "label", "size", "certifications", "members"]
    assert s["cluster"].tolist() == [0, 1, 2]
    assert s.loc[0, "members"] == "AA:C1; BB:C1; CC:C1; AA:C2"
    assert s["size"].tolist() == [4, 3, 1] and s["certifications"].tolist() == [3, 2, 1]
    assert "clusters" in SCHEMAS and "cluster_summary" in SCHEMAS
    bad = df.copy()
    bad.loc[0, "competence"] = "not an id"
    with pytest.raises(CrossrefError):
        validate(bad, "clusters")
    with pytest.raises(CrossrefError):
        cl.cluster_summary(df.drop(columns=["label"]))


@pytest.mark.slow
def test_default_threshold_on_the_builtin_corpus() -> None:
    """The default threshold gives themes shared by certifications: neither one blob nor singletons."""
    from crossref.config import Config
    from crossref.embed import get_embedder
    from crossref.corpus_views import competence_views
    from crossref.referentiels import load_corpus

    config = Config()
    info = competence_views(load_corpus(config.data_dir))
    x = get_embedder("use-multilingual", cache_dir=config.embedding.cache_dir).embed(info.views["text"])
    df = cl.cluster_competences(np.asarray(x), info.ids, list(info.certs), info.views["text"])
    s = cl.cluster_summary(df)
    shared = s[s["certifications"] >= 2]
    assert 6 <= len(shared) <= 20
    assert s["size"].max() <= 0.2 * len(df)
    assert (s["size"] == 1).sum() <= 0.5 * len(df)
    labels = " | ".join(shared["label"])
    for theme in ("CRM", "veille", "négociation", "données"):
        assert theme in labels
