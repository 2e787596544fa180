"""Why a pair has its score: the pair model's logit as a sum of per-feature contributions.

The pair model is linear in its features (:class:`crossref.pair_model.PairModel`):
``logit = Σ_k ((x_k - mean_k) / std_k) · coef_k + intercept`` and
``score = sigmoid(logit)``. Each term is one feature's contribution, so the
parts add up exactly to the score's logit — a waterfall a reviewer can read
(:func:`crossref.figures.contribution_waterfall`). A pair's features are
recomputed from its certification pair's block (:func:`crossref.blocks.make_block`)
with the embeddings the run already holds, one block per certification pair, kept.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

# What each feature means to a reviewer (names: crossref.features.BASE_FEATURES and "z:<channel>").
FEATURE_FR = {
    "hybrid": "similarité d'ensemble (canaux combinés)",
    "row_margin": "écart au meilleur candidat de la source",
    "col_margin": "écart au meilleur candidat de la cible",
    "row_rr": "rang de la cible parmi les candidats de la source",
    "col_rr": "rang de la source parmi les candidats de la cible",
    "cov_max": "couverture des propositions (la plus forte)",
    "cov_min": "couverture des propositions (la plus faible)",
    "clause_max": "meilleure proposition commune",
    "bloc_match": "accord des deux blocs",
    "bloc_title": "proximité des titres de blocs",
    "adapter": "proximité apprise des paires de référence",
}
CHANNEL_FR = {"text": "énoncé", "full": "énoncé et critères propres", "core": "verbe + objet",
              "criteria": "critères propres"}

_blocks: dict[tuple[int, str, str], Any] = {}
_lock = threading.Lock()


def feature_label(name: str) -> str:
    if name.startswith("z:"):
        backend, _, view = name[2:].partition(":")
        return f"canal {backend} ({CHANNEL_FR.get(view, view)})"
    return FEATURE_FR.get(name, name)


def _block(results: Any, a: str, b: str) -> tuple[Any, Any]:
    """(block of certifications a, b in corpus order, corpus info), built once per results."""
    from crossref.blocks import make_block
    from crossref.matching import segment_starts
    from crossref.pipeline import load_configured_artifact

    info, emb = results.stages()
    key = (id(emb), a, b)
    with _lock:
        if key not in _blocks:
            artifact = load_configured_artifact(results.config)
            _blocks[key] = make_block(emb, artifact.channels, results.config.matching, info.certs, a, b,
                                      segment_starts(emb.clause_lengths), artifact.adapter)
        return _blocks[key], info


def pair_contributions(results: Any, source: str, target: str) -> dict:
    """The pair model's contributions for one pair (either orientation: the score is symmetric).

    Returns ``{"features": [{"name", "label", "value", "contribution"}], "intercept", "logit",
    "score", "source_covers_target", "target_covers_source"}`` (oriented as asked);
    contributions + intercept == logit and sigmoid(logit) == score (the model's).
    """
    from crossref.errors import CrossrefError
    from crossref.pipeline import load_configured_artifact

    corpus = results.corpus
    try:
        ca, cb = corpus.certification_of(source).id, corpus.certification_of(target).id
    except KeyError as exc:
        raise CrossrefError(f"compétence inconnue : {exc.args[0]}") from None
    if ca == cb:
        raise CrossrefError(f"{source} et {target} appartiennent à la même certification")
    order = corpus.ids
    flipped = order.index(ca) > order.index(cb)
    if flipped:  # blocks are built first certification first
        source, target, ca, cb = target, source, cb, ca
    block, info = _block(results, ca, cb)
    pos = info.positions()
    x = int(np.nonzero(block.ia == pos[source])[0][0])
    y = int(np.nonzero(block.ib == pos[target])[0][0])
    values = block.features.values[x, y]
    model = load_configured_artifact(results.config).model
    model.check_names(block.features.names)
    standard = (values - np.asarray(model.mean)) / np.asarray(model.std)
    parts = standard * np.asarray(model.coef)
    logit = float(parts.sum() + model.intercept)
    a_covers_b, b_covers_a = float(block.features.a_covers_b[x, y]), float(block.features.b_covers_a[x, y])
    if flipped:
        a_covers_b, b_covers_a = b_covers_a, a_covers_b
    return {
        # Direction evidence: how much of each statement's clauses the other's clauses cover.
        "source_covers_target": a_covers_b,
        "target_covers_source": b_covers_a,
        "features": [{"name": n, "label": feature_label(n), "value": float(v), "contribution": float(c)}
                     for n, v, c in zip(block.features.names, values, parts)],
        "intercept": float(model.intercept),
        "logit": logit,
        "score": float(1.0 / (1.0 + np.exp(-logit))),
    }
