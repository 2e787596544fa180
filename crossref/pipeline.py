"""The one orchestrator: corpus -> views -> embeddings -> scored pairs -> decisions -> clusters.

CLI, app and notebooks all call :func:`run` with the same :class:`Config`.
Each stage is a function over a small typed object, in its own module:

1. :func:`crossref.corpus_views.competence_views` (corpus -> :class:`CompetenceViews`)
2. :func:`crossref.embeddings.embed_views` (views -> :class:`Embeddings`)
3. :func:`crossref.scoring.score_pairs` (embeddings + calibration artifact -> the pairs table)
4. :func:`apply_reviewed` (pairs + the decision store -> pairs as reviewed)
5. :func:`crossref.clusters.cluster_competences` (semantic vectors -> themes)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

import numpy as np
import pandas as pd

from crossref.config import Config
from crossref.model import Corpus

if TYPE_CHECKING:
    from crossref.corpus_views import CompetenceViews
    from crossref.embeddings import Embeddings
    from crossref.evidence import TextScorer

_STAGES_LOCK = threading.Lock()


@dataclass
class Results:
    config: Config
    corpus: Corpus
    # Schema "pairs" (crossref.tables), reviewed decisions applied: every ordered pair of
    # competences of different certifications in a small corpus; beyond
    # matching.max_block_pairs pairs, the candidates, proposed and reviewed pairs
    # (crossref.scoring). The explanation column is empty: crossref.explanations.fill_explanations
    # writes it for the rows shown or exported.
    pairs: pd.DataFrame
    # One row per competence: cluster (int), label (top terms), competence, certification.
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    # When the results were computed (ISO 8601, UTC) and a hash per certification's data.
    created_at: str = ""
    data_versions: dict[str, str] = field(default_factory=dict)
    # Scores free texts against competences, same scale as pair scores. Built on first use from
    # the stages whatever produced the results (run, its cache, compute, the dashboard); a test
    # may pass any callable (texts, competence ids) -> matrix.
    scorer: Callable[[list[str], list[str]], np.ndarray] | None = None
    # The views and embeddings of ``corpus`` (stages 1-2), kept when computed, else built on demand.
    _stages: tuple[CompetenceViews, Embeddings] | None = field(default=None, repr=False)

    def stages(self) -> tuple[CompetenceViews, Embeddings]:
        """The corpus views and embeddings the pairs were scored from (built once)."""
        with _STAGES_LOCK:
            if self._stages is None:
                from crossref.corpus_views import competence_views, lexical_reference_texts
                from crossref.embeddings import embed_views

                views = competence_views(self.corpus)
                self._stages = (views, embed_views(self.config, views, lexical_reference_texts()))
            return self._stages

    def text_scorer(self) -> TextScorer:
        """The evidence scorer of free texts (VAE), built on the stages."""
        from crossref.evidence import TextScorer

        if not isinstance(self.scorer, TextScorer):
            views, emb = self.stages()
            with _STAGES_LOCK:
                if not isinstance(self.scorer, TextScorer):
                    self.scorer = TextScorer(self.corpus, views, emb)
        return self.scorer

    def similarity_to_competences(self, texts: list[str], competence_ids: list[str]) -> np.ndarray:
        """(len(texts), len(competence_ids)) similarity in [0, 1], comparable to pair scores."""
        scorer = self.scorer if self.scorer is not None else self.text_scorer()
        return scorer(texts, competence_ids)


# ---------------------------------------------------------------- orchestration

# Bump when the cached tuple's layout changes (the code itself is hashed into the key).
RESULTS_FORMAT = 1


def data_versions(corpus: Corpus) -> dict[str, str]:
    """A short content hash per certification (recorded in exports)."""
    import hashlib
    import json

    return {c.id: hashlib.sha256(json.dumps(c.to_dict(), sort_keys=True, ensure_ascii=False).encode())
            .hexdigest()[:12] for c in corpus}


_KEYED_SOURCES = ("pipeline.py", "corpus_views.py", "embeddings.py", "scoring.py", "matching.py", "clusters.py",
                  "pair_candidates.py", "retrieval.py",
                  "embed/lexical.py", "blocks.py", "features.py", "pair_model.py", "labels.py")


def _results_key(config: Config, versions: dict[str, str]) -> str:
    import hashlib
    import json
    from pathlib import Path

    # The scoring and clustering code is part of the key: an upgrade never reuses stale results.
    here = Path(__file__).resolve().parent
    code = hashlib.sha256(b"".join((here / f).read_bytes() for f in _KEYED_SOURCES)).hexdigest()[:12]
    artifact = hashlib.sha256(Path(config.matching.calibration).read_bytes()).hexdigest()[:12]
    payload = {"format": RESULTS_FORMAT, "code": code, "matching": config.to_dict()["matching"], "artifact": artifact,
               "embedding": {k: v for k, v in config.to_dict()["embedding"].items() if k != "cache_dir"},
               "data": versions}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


def load_configured_artifact(config: Config):
    """The calibration artifact the configuration names, checked against it."""
    from crossref.calibration import load_artifact

    artifact = load_artifact(config.matching.calibration)
    artifact.check(config)
    return artifact


def compute(config: Config, corpus: Corpus, artifact=None) -> Results:
    """Score every pair of the corpus (no cache, no decisions). ``artifact``: the configured
    calibration artifact when the caller has loaded it already."""
    from datetime import datetime, timezone

    from crossref.clusters import cluster_competences
    from crossref.corpus_views import competence_views, lexical_reference_texts
    from crossref.embeddings import embed_views
    from crossref.scoring import score_pairs

    artifact = artifact if artifact is not None else load_configured_artifact(config)
    views = competence_views(corpus)
    emb = embed_views(config, views, lexical_reference_texts())
    pairs = score_pairs(views, emb, config, artifact)
    clusters = cluster_competences(emb.part_vectors["semantic"], list(views.ids), list(views.certs),
                                   views.views["text"])
    return Results(config=config, corpus=corpus, pairs=pairs, clusters=clusters,
                   created_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   data_versions=data_versions(corpus), _stages=(views, emb))


def run(config: Config | None = None, extra=(), *, use_cache: bool = True, decisions: bool = True) -> Results:
    """Load the corpus, score all pairs (cached), apply reviewed decisions."""
    from pathlib import Path

    from crossref.referentiels import load_corpus

    config = config or Config()
    artifact = load_configured_artifact(config)  # a missing or mismatched calibration: a clear error, first
    corpus = load_corpus(config.data_dir, extra)
    versions = data_versions(corpus)
    caching = use_cache and config.embedding.cache
    cache_file = Path(config.embedding.cache_dir) / f"results-{_results_key(config, versions)}.pkl"
    results = _read_cached(cache_file, config, corpus, versions) if caching else None
    if results is None:
        if caching:  # fail before the long computation, not after
            from crossref.config_checks import check_writable_dir

            check_writable_dir("embedding.cache_dir", config.embedding.cache_dir)
        results = compute(config, corpus, artifact)
        if caching:
            _write_cached(cache_file, results)
    if decisions:
        results.pairs = apply_reviewed(results.pairs, config, results)
    return results


def _read_cached(path, config: Config, corpus: Corpus, versions: dict[str, str]) -> Results | None:
    import pickle

    if not path.is_file():
        return None
    try:
        with open(path, "rb") as fh:
            pairs, clusters, created_at = pickle.load(fh)
    except Exception:  # a stale or corrupt cache is recomputed, never fatal
        return None
    return Results(config=config, corpus=corpus, pairs=pairs, clusters=clusters, created_at=created_at,
                   data_versions=versions)


def _write_cached(path, results: Results) -> None:
    import pickle

    from crossref.io import atomic_write_bytes

    atomic_write_bytes(path, pickle.dumps((results.pairs, results.clusters, results.created_at)))


def apply_reviewed(pairs: pd.DataFrame, config: Config, results: Results | None = None) -> pd.DataFrame:
    """Reviewed decisions override the model (reading never creates the database).

    With ``results`` (what ``pairs`` were computed from), a decided pair the table lacks (a
    large corpus keeps only candidate and proposed pairs) is scored, exactly as exhaustive
    scoring would, and added before the decisions are applied."""
    if _missing_sqlite_file(config.db_url):  # no store yet: nothing reviewed (and SQLAlchemy, 0.2-0.3 s
        return pairs.copy()                   # to import, is not needed)
    from crossref.review import DecisionStore, apply_decisions

    store = DecisionStore(config.db_url)
    try:
        current = store.current()
    finally:
        store.close()
    if results is not None and len(current):
        pairs = with_reviewed_rows(pairs, results, current)
    return apply_decisions(pairs, current)


def with_reviewed_rows(pairs: pd.DataFrame, results: Results, decided: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` plus the scored rows (both orientations) of the ``decided`` pairs (columns source,
    target) it lacks, in corpus order; ``pairs`` itself when it lacks none."""
    have = pd.MultiIndex.from_frame(pairs[["source", "target"]].astype(str))
    asked = list(zip(decided["source"].astype(str), decided["target"].astype(str)))
    missing = [p for p in dict.fromkeys(asked) if p not in have]
    if not missing:
        return pairs
    from crossref.scoring import score_pairs

    views, emb = results.stages()
    position = views.positions()
    missing = [(s, t) for s, t in missing if s in position and t in position]
    if not missing:
        return pairs
    added = score_pairs(views, emb, results.config, load_configured_artifact(results.config), only=missing)
    if not len(added):
        return pairs
    out = pd.concat([pairs, added[list(pairs.columns)]], ignore_index=True)
    out = out.drop_duplicates(["source", "target"], keep="first")
    order = np.lexsort((out["target"].map(position).to_numpy(), out["source"].map(position).to_numpy()))
    return out.iloc[order].reset_index(drop=True)


def _missing_sqlite_file(url: str) -> bool:
    """True for an SQLite file URL (``sqlite:///path``) whose file does not exist."""
    from pathlib import Path

    if not url.startswith("sqlite:///"):
        return False
    path = url[len("sqlite:///"):].split("?", 1)[0]
    return bool(path) and path != ":memory:" and not Path(path).exists()
