"""Stage 3: scored pairs, one certification pair (block) at a time.

For each block (:mod:`crossref.blocks`), the calibrated pair model gives a
score per pair, :func:`crossref.matching.relations` the relation, clause
coverage the direction; rows are built for the pairs kept (every pair of a
small block, each competence's ``top_k`` and every proposed pair of a large
one), in both orientations.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from crossref.config import Config
from crossref.corpus_views import CompetenceViews
from crossref.embeddings import Embeddings

_DIRECTION_FLIP = {"same": "same", "broader": "narrower", "narrower": "broader"}
MAX_SHARED_TERMS = 8
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


def block_directions(block, margin: float) -> np.ndarray:
    from crossref.matching import directions

    return directions(block.features.a_covers_b, block.features.b_covers_a, margin)


def _pair_rows(info: CompetenceViews, emb: Embeddings, block, model, config: Config) -> list[dict[str, Any]]:
    """Rows for both orientations of one certification pair (A = rows, B = columns)."""
    from crossref.matching import block_ranks, relations

    mcfg = config.matching
    ia, ib = block.ia, block.ib
    score = model.predict(block.features.values)
    row_rank, col_rank = block_ranks(score)
    direction = block_directions(block, mcfg.direction_margin)
    relation = relations(score, row_rank, col_rank, direction, model.partial_threshold, model.equivalent_threshold)
    keep_all = len(ia) * len(ib) <= mcfg.max_block_pairs
    parts = block.parts
    ids, blocs, certs, clauses = info.ids, info.blocs, info.certs, info.clauses
    terms = emb.terms
    rows = []
    # Large blocks keep each competence's top_k and every proposed pair; the selection is one
    # array operation, so rows (and their explanation text) are built only for kept pairs.
    kept = np.ones(score.shape, dtype=bool) if keep_all else (
        (np.minimum(row_rank, col_rank) <= mcfg.top_k) | (relation != "none"))
    for x, y in zip(*np.nonzero(kept)):
        i, j = ia[x], ib[y]
        phrase_a, phrase_b = clauses[i][block.best_ci[x, y]], clauses[j][block.best_cj[x, y]]
        p = {k: float(v[x, y]) for k, v in parts.items()}
        s = float(score[x, y])
        rel = str(relation[x, y])
        dxy = str(direction[x, y])
        for src, tgt, rank, d, ph_s, ph_t in (
            (i, j, int(row_rank[x, y]), dxy, phrase_a, phrase_b),
            (j, i, int(col_rank[x, y]), _DIRECTION_FLIP[dxy], phrase_b, phrase_a),
        ):
            keys_t = terms[tgt][1]
            shared = [surf for key, surf in terms[src][0] if key in keys_t][:MAX_SHARED_TERMS]
            rows.append({
                "source": ids[src], "target": ids[tgt],
                "source_cert": str(certs[src]), "target_cert": str(certs[tgt]),
                "source_bloc": blocs[src], "target_bloc": blocs[tgt],
                "score": s, "semantic": p["semantic"], "lexical": p["lexical"], "criteria": p["criteria"],
                "rank": rank, "relation": rel, "direction": d, "model_relation": rel,
                "status": "suggested", "reviewer": "", "decided_at": "", "note": "",
                "source_phrase": ph_s, "target_phrase": ph_t, "shared_terms": "; ".join(shared),
                "explanation": explanation_text(s, p, rank, rel, d, ph_s, ph_t, shared),
            })
    return rows


def score_pairs(info: CompetenceViews, emb: Embeddings, config: Config, artifact) -> pd.DataFrame:
    """The model's pairs table (no decisions applied), one certification pair at a time."""
    from crossref.blocks import certification_blocks
    from crossref.tables import PAIR_COLUMNS

    names = None
    rows: list[dict[str, Any]] = []
    for block in certification_blocks(emb, artifact.channels, config.matching, info.certs,
                                      adapter=artifact.adapter):
        if names is None:
            artifact.model.check_names(block.features.names)
            names = block.features.names
        rows.extend(_pair_rows(info, emb, block, artifact.model, config))
    df = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    position = info.positions()
    df = df.assign(_s=df["source"].map(position), _t=df["target"].map(position))
    return df.sort_values(["_s", "_t"], kind="stable", ignore_index=True).drop(columns=["_s", "_t"])
