"""Stage 3a: the candidate pairs the scoring stage looks at, from a top-k search.

Every competence's ``k`` nearest competences of the *other* certifications
(:func:`crossref.retrieval.candidates`: exact and blockwise on a small corpus,
the ANN index beyond its threshold), on one vector per competence whose inner
product is the weighted mean of the standardised dense channels. The scoring
stage (:mod:`crossref.scoring`) then scores densely only the certification
pairs that hold a candidate (or a reviewed pair) and keeps rows for the
candidates and the proposed pairs: the features of a pair depend on its whole
block (margins, ranks, bloc match, hubness), never on other certifications, so
a pair kept is scored exactly as exhaustive scoring scores it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Which vectors the search runs on: "weighted" (the default) is the concatenation of the dense
# channels, each scaled by sqrt(weight / std) so that the inner product is the weighted sum of
# standardised cosines (the hybrid before hubness correction, without the lexical channel, too
# wide to search); "main" is the clause backend's text channel. Measured (README "Speed"): the
# weighted vectors make more of the exhaustive proposals candidates (k = 10: 0.93 vs 0.86 on the
# built-in data, 0.86 vs 0.75 with data/extra) and miss fewer certification pairs.
CANDIDATE_VECTORS = ("weighted", "main")


def candidate_vectors(emb: Any, stats: dict[str, Any], how: str = "weighted") -> np.ndarray:
    """(n, d) float32 search vectors of every competence (see :data:`CANDIDATE_VECTORS`)."""
    if how not in CANDIDATE_VECTORS:
        raise ValueError(f"candidate vectors: {how!r} (expected {', '.join(CANDIDATE_VECTORS)})")
    dense = {c: x for c, x in emb.vectors.items() if isinstance(x, np.ndarray) and not c.startswith("lexical:")}
    if how == "main" or not dense:
        main = f"{emb.clause_backend}:text"
        x = emb.vectors[main] if main in emb.vectors else emb.part_vectors["semantic"]
        return np.ascontiguousarray(x, dtype=np.float32)
    parts = [x * np.float32(np.sqrt(emb.channels[c] / max(stats[c].std, 1e-6))) for c, x in sorted(dense.items())
             if emb.channels[c] > 0]
    return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float32)


def candidate_pairs(emb: Any, stats: dict[str, Any], certs: np.ndarray, k: int,
                    how: str = "weighted") -> tuple[np.ndarray, np.ndarray]:
    """(i, j) positions of every competence's top ``k`` competences of other certifications."""
    from crossref.retrieval import candidates

    x = candidate_vectors(emb, stats, how)
    found = candidates(x, x, k, query_groups=certs, item_groups=certs, per_group=False)
    return found.query, found.item
