"""Overlap matrices: how much of one certification's blocs another certification covers.

Rules (all on the "pairs" table, reviewed decisions already applied):

* credit of a pair = ``equivalent_credit`` (relation "equivalent"),
  ``partial_credit`` (relation "partial"), 0 otherwise; a pair whose review
  status is "rejected" earns 0 whatever its relation;
* a target competence's coverage by a set of source competences = the highest
  credit among its pairs with them (its strongest match), 0 without any;
* bloc coverage (A -> B) = mean of that over B's competences, so each
  competence of B weighs the same and the value is the share of B covered by A;
* certification coverage (A -> B) = the same mean over all of B's competences
  with all of A's competences as sources.

Directional: coverage(A -> B) says what a holder of A already has of B; it is
not coverage(B -> A). Only competences count, not savoirs (the pairs table
matches competences). Everything here is pure: DataFrames in, DataFrames out.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa

from crossref.config import PasserelleConfig
from crossref.errors import ConfigError, CrossrefError
from crossref.model import Certification, Corpus
from crossref.tables import ID, register_schema, validate

# Pair columns carried into the "matched" lists of cells and passerelles.
PAIR_DETAIL = ["source", "target", "score", "relation", "direction", "status",
               "source_phrase", "target_phrase", "shared_terms", "explanation"]

BLOC_MATRIX_SCHEMA = pa.DataFrameSchema(
    {
        "source_cert": pa.Column(str),
        "target_cert": pa.Column(str),
        "source_bloc": pa.Column(str, ID),
        "target_bloc": pa.Column(str, ID),
        # NaN only for a target bloc without competences (nothing to cover).
        "coverage": pa.Column(float, [pa.Check.ge(0.0), pa.Check.le(1.0)], nullable=True),
        # Up to 3 pairs that count most, "; "-separated: "SRC → TGT (score, relation)".
        "best_pairs": pa.Column(str),
    },
    strict=True,
    ordered=True,
)
register_schema("bloc_matrix", BLOC_MATRIX_SCHEMA)


def frame(rows: list[dict], schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Rows -> DataFrame in the schema's column order and dtypes (an empty one validates too)."""
    df = pd.DataFrame(rows, columns=list(schema.columns))
    return df.astype({name: col.dtype.type for name, col in schema.columns.items()})


# ---------------------------------------------------------------- config / lookups
def passerelle_config(config: Any = None) -> PasserelleConfig:
    """Accept a PasserelleConfig, a whole Config (uses .passerelles) or None (defaults); check it."""
    if config is None:
        pconf = PasserelleConfig()
    elif isinstance(config, PasserelleConfig):
        pconf = config
    elif isinstance(getattr(config, "passerelles", None), PasserelleConfig):
        pconf = config.passerelles
    else:
        raise TypeError(f"expected PasserelleConfig or Config, got {type(config).__name__}")
    check_config(pconf)
    return pconf


def check_config(p: PasserelleConfig) -> None:
    """Refuse rules that contradict each other (a typo would silently change every status)."""
    if not 0.0 <= p.partial_coverage <= p.full_coverage <= 1.0:
        raise ConfigError(
            "passerelles : il faut 0 ≤ partial_coverage ≤ full_coverage ≤ 1 "
            f"(reçu {p.partial_coverage} et {p.full_coverage})"
        )
    if not 0.0 <= p.partial_credit <= p.equivalent_credit <= 1.0:
        raise ConfigError(
            "passerelles : il faut 0 ≤ partial_credit ≤ equivalent_credit ≤ 1 "
            f"(reçu {p.partial_credit} et {p.equivalent_credit})"
        )
    if not 0.0 <= p.vae_evidence_threshold <= p.vae_equivalent_threshold <= 1.0:
        raise ConfigError(
            "passerelles : il faut 0 ≤ vae_evidence_threshold ≤ vae_equivalent_threshold ≤ 1 "
            f"(reçu {p.vae_evidence_threshold} et {p.vae_equivalent_threshold})"
        )


def get_certification(corpus: Corpus, cert_id: str) -> Certification:
    """The certification, or a CrossrefError naming the unknown id (the CLI shows it)."""
    try:
        return corpus.certification(cert_id)
    except KeyError:
        raise CrossrefError(
            f"certification inconnue : {cert_id!r} (connues : {', '.join(corpus.ids)})"
        ) from None


# ---------------------------------------------------------------- credits
def pair_credit(pairs: pd.DataFrame, config: Any = None) -> pd.Series:
    """Credit of each pair: equivalent/partial credit by relation, 0 for "none" or a rejected pair."""
    p = passerelle_config(config)
    credit = pairs["relation"].map({"equivalent": p.equivalent_credit, "partial": p.partial_credit})
    credit = credit.fillna(0.0).astype(float)
    return credit.where(pairs["status"] != "rejected", 0.0)


def _strongest_first(pairs: pd.DataFrame, credit: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Positions of the masked pairs with credit > 0, strongest first: credit, then score.

    Works on numpy columns: taking rows of the full string table is what costs.
    np.lexsort is stable, so exact ties keep the table's order (deterministic).
    """
    idx = np.flatnonzero(mask & (credit > 0))
    score = pairs["score"].to_numpy(dtype=float)[idx]
    return idx[np.lexsort((-score, -credit[idx]))]


def _first_per_target(pairs: pd.DataFrame, idx: np.ndarray) -> np.ndarray:
    if not len(idx):
        return idx
    _, first = np.unique(pairs["target"].to_numpy(dtype=object)[idx], return_index=True)
    return idx[np.sort(first)]


def credited(pairs: pd.DataFrame, config: Any = None) -> pd.DataFrame:
    """Pairs earning some credit, with a "credit" column, strongest first (credit, then score)."""
    credit = pair_credit(pairs, config).to_numpy(dtype=float)
    idx = _strongest_first(pairs, credit, np.ones(len(pairs), dtype=bool))
    return pairs.iloc[idx].assign(credit=credit[idx])


def _held_mask(pairs: pd.DataFrame, source_ids: Any, target_ids: Any) -> np.ndarray:
    return (pairs["source"].isin(set(source_ids)) & pairs["target"].isin(set(target_ids))).to_numpy()


def best_matches(pairs: pd.DataFrame, source_ids: Any, target_ids: Any, config: Any = None) -> pd.DataFrame:
    """For each target competence, the held pair that covers it best (only targets with credit > 0).

    One row per covered target, in the pairs' columns plus "credit"; a target
    missing here has coverage 0 from these sources.
    """
    credit = pair_credit(pairs, config).to_numpy(dtype=float)
    idx = _first_per_target(pairs, _strongest_first(pairs, credit, _held_mask(pairs, source_ids, target_ids)))
    return pairs.iloc[idx].assign(credit=credit[idx])


def _coverage(pairs: pd.DataFrame, credit: np.ndarray, source_ids: Any, target_ids: list[str]) -> pd.Series:
    mask = _held_mask(pairs, source_ids, target_ids)
    best = pd.Series(credit[mask], index=pairs["target"].to_numpy(dtype=object)[mask], dtype=float)
    best = best.groupby(level=0).max() if len(best) else best
    return best.reindex(list(target_ids)).fillna(0.0).astype(float)


def competence_coverage(pairs: pd.DataFrame, source_ids: Any, target_ids: list[str],
                        config: Any = None) -> pd.Series:
    """Coverage in [0, 1] of each target competence (index, in the given order) by the source set."""
    return _coverage(pairs, pair_credit(pairs, config).to_numpy(dtype=float), source_ids, target_ids)


# ---------------------------------------------------------------- matrices
def _competence_ids(cert: Certification) -> list[str]:
    return [c.id for c in cert.competences]


def bloc_matrix(pairs: pd.DataFrame, corpus: Corpus, source_cert: str, target_cert: str,
                config: Any = None) -> pd.DataFrame:
    """Coverage of each target bloc (columns) by each source bloc (rows), values in [0, 1].

    Cell (A, B) = mean over B's competences of their best credit from A's
    competences. NaN only for a target bloc without competences.
    """
    src = get_certification(corpus, source_cert)
    tgt = get_certification(corpus, target_cert)
    target_ids = _competence_ids(tgt)
    bloc_of_target = pd.Series({c.id: c.bloc_id for c in tgt.competences})
    credit = pair_credit(pairs, config).to_numpy(dtype=float)
    rows = {}
    for a in src.blocs:
        cov = _coverage(pairs, credit, [c.id for c in src.competences_of(a.id)], target_ids)
        per_bloc = cov.groupby(bloc_of_target.reindex(cov.index).values).mean()
        rows[a.id] = [float(per_bloc.get(b.id, np.nan)) for b in tgt.blocs]
    m = pd.DataFrame.from_dict(rows, orient="index", columns=[b.id for b in tgt.blocs], dtype=float)
    m = m.reindex([a.id for a in src.blocs])
    m.index.name = "source_bloc"
    m.columns.name = "target_bloc"
    return m


def bloc_cell_pairs(pairs: pd.DataFrame, source_bloc: str, target_bloc: str, config: Any = None,
                    *, counted_only: bool = False) -> pd.DataFrame:
    """The credited pairs behind a cell of a bloc matrix, strongest first, with a "credit" column.

    ``counted_only``: keep, for each target competence, only the pair that sets
    its coverage (what the cell's number is made of).
    """
    sub = pairs[(pairs["source_bloc"] == source_bloc) & (pairs["target_bloc"] == target_bloc)]
    out = credited(sub, config)
    if counted_only:
        out = out.drop_duplicates("target", keep="first")
    return out.reset_index(drop=True)


def certification_matrix(pairs: pd.DataFrame, corpus: Corpus, config: Any = None) -> pd.DataFrame:
    """Share of each target certification (columns) covered by the whole source certification (rows).

    The diagonal is NaN: the pairs table never pairs a certification with
    itself, and "A covers A" says nothing (heatmaps leave it blank).
    """
    ids = corpus.ids
    credit = pair_credit(pairs, config).to_numpy(dtype=float)
    m = pd.DataFrame(np.nan, index=ids, columns=ids, dtype=float)
    for s in corpus:
        for t in corpus:
            if s.id != t.id:
                cov = _coverage(pairs, credit, _competence_ids(s), _competence_ids(t))
                m.loc[s.id, t.id] = float(cov.mean()) if len(cov) else np.nan
    m.index.name = "source_cert"
    m.columns.name = "target_cert"
    return m


def format_pair(row: Any) -> str:
    """One pair as "SRC → TGT (0.87, equivalent)" for hover text and flat tables."""
    return f"{row['source']} → {row['target']} ({float(row['score']):.2f}, {row['relation']})"


def _pair_dict(r: Any) -> dict:
    return {k: (float(r[k]) if k in ("score", "credit") else r[k]) for k in [*PAIR_DETAIL, "credit"]}


def best_cell_pairs(pairs: pd.DataFrame, source_bloc: str, target_bloc: str, config: Any = None,
                    n: int = 3) -> list[dict]:
    """Up to n pairs that count most in a cell (one per target competence), as dicts."""
    cell = bloc_cell_pairs(pairs, source_bloc, target_bloc, config, counted_only=True).head(n)
    return [_pair_dict(r) for _, r in cell.iterrows()]


def best_pairs_by_cell(pairs: pd.DataFrame, config: Any = None, n: int = 3,
                       blocs: tuple[Any, Any] | None = None) -> dict[tuple[str, str], list[dict]]:
    """best_cell_pairs for every (source bloc, target bloc) at once, one pass over the table.

    ``blocs``: optional (source bloc ids, target bloc ids) to restrict the cells.
    """
    credit = pair_credit(pairs, config).to_numpy(dtype=float)
    mask = np.ones(len(pairs), dtype=bool)
    if blocs is not None:
        mask = (pairs["source_bloc"].isin(set(blocs[0])) & pairs["target_bloc"].isin(set(blocs[1]))).to_numpy()
    sb = pairs["source_bloc"].to_numpy(dtype=object)
    tb = pairs["target_bloc"].to_numpy(dtype=object)
    tg = pairs["target"].to_numpy(dtype=object)
    chosen: dict[tuple[str, str], list[int]] = {}
    seen: set[tuple[str, str, str]] = set()
    for i in _strongest_first(pairs, credit, mask):
        key = (sb[i], tb[i])
        picked = chosen.setdefault(key, [])
        if len(picked) < n and (key + (tg[i],)) not in seen:
            seen.add(key + (tg[i],))
            picked.append(int(i))
    flat = [i for picked in chosen.values() for i in picked]
    records = pairs.iloc[flat][PAIR_DETAIL].assign(credit=credit[flat]).to_dict("records")
    by_pos = dict(zip(flat, records))
    return {key: [{**by_pos[i], "score": float(by_pos[i]["score"]), "credit": float(by_pos[i]["credit"])}
                  for i in picked] for key, picked in chosen.items()}


def matrix_table(pairs: pd.DataFrame, corpus: Corpus, config: Any = None) -> pd.DataFrame:
    """Long table (schema "bloc_matrix"): one row per (source bloc, target bloc) for every ordered pair
    of different certifications, with the coverage and the best pairs behind it."""
    best = best_pairs_by_cell(pairs, config)
    rows = []
    for s in corpus:
        for t in corpus:
            if s.id == t.id:
                continue
            m = bloc_matrix(pairs, corpus, s.id, t.id, config)
            for a in m.index:
                for b in m.columns:
                    rows.append({
                        "source_cert": s.id,
                        "target_cert": t.id,
                        "source_bloc": a,
                        "target_bloc": b,
                        "coverage": float(m.loc[a, b]),
                        "best_pairs": "; ".join(format_pair(p) for p in best.get((a, b), [])),
                    })
    return validate(frame(rows, BLOC_MATRIX_SCHEMA), "bloc_matrix")
