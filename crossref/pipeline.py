"""The one orchestrator: corpus -> embeddings -> scored pairs -> decisions -> clusters.

CLI, app and notebooks all call :func:`run` with the same :class:`Config`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from crossref.config import Config
from crossref.model import Corpus


@dataclass
class Results:
    config: Config
    corpus: Corpus
    # Schema "pairs" (crossref.tables): every ordered pair of competences of
    # different certifications, reviewed decisions applied.
    pairs: pd.DataFrame
    # One row per competence: cluster (int), label (top terms), competence, certification.
    clusters: pd.DataFrame = field(default_factory=pd.DataFrame)
    # When the results were computed (ISO 8601, UTC) and a hash per certification's data.
    created_at: str = ""
    data_versions: dict[str, str] = field(default_factory=dict)
    # Scores free texts against competences, same scale as pair scores; built on first use
    # whatever produced the results (run, its cache, compute, the dashboard).
    _scorer: Any = None

    def similarity_to_competences(self, texts: list[str], competence_ids: list[str]) -> np.ndarray:
        """(len(texts), len(competence_ids)) similarity in [0, 1], comparable to pair scores."""
        if self._scorer is None:
            self._scorer = _LazyScorer(self.config, self.corpus)
        return self._scorer(texts, competence_ids)


# ---------------------------------------------------------------- views


def competence_views(corpus: Corpus) -> dict[str, Any]:
    """Per competence (corpus order): ids, certification, bloc and the texts of each view."""
    from crossref.matching import split_clauses, strip_shared_prefixes

    ids, certs, blocs, bloc_titles = [], [], [], []
    views: dict[str, list[str]] = {"text": [], "full": [], "core": [], "criteria": []}
    clauses: list[list[str]] = []
    for cert in corpus:
        titles = {b.id: b.title or b.code for b in cert.blocs}
        statements, own_criteria = _distinctive_texts(cert, strip_shared_prefixes)
        for comp in cert.competences:
            bloc_titles.append(titles.get(comp.bloc_id, ""))
            own = own_criteria[comp.id]
            statement = statements[comp.id]
            # The title is the short label; kept even when the statement repeats it (measured).
            text = f"{comp.title}. {statement}" if comp.title else statement
            ids.append(comp.id)
            certs.append(cert.id)
            blocs.append(comp.bloc_id)
            cl = split_clauses(statement)
            clauses.append(cl)
            views["text"].append(text)
            # Only the competence's own critères: those shared by a whole bloc
            # or épreuve make all its competences look alike.
            views["full"].append(" ".join([text, *own]))
            views["core"].append(cl[0])
            views["criteria"].append(" ".join(own))
    return {"ids": ids, "certs": np.array(certs), "blocs": blocs, "views": views, "clauses": clauses,
            "bloc_titles": bloc_titles}


def _distinctive_texts(cert, strip) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Per competence: its statement without the heading its bloc repeats, and its own critères
    without those attached, word for word, to every competence of its bloc (a bloc-wide critère
    written out per competence is still shared)."""
    statements: dict[str, str] = {}
    own: dict[str, list[str]] = {}
    for bloc in cert.blocs:
        comps = [c for c in cert.competences if c.bloc_id == bloc.id]
        statements.update(zip([c.id for c in comps], strip([c.statement for c in comps])))
        texts = {c.id: [cr.text for cr in cert.own_criteria(c.id)] for c in comps}
        common = set.intersection(*(set(t) for t in texts.values())) if len(comps) > 1 else set()
        own.update({cid: [t for t in ts if t not in common] for cid, ts in texts.items()})
    for c in cert.competences:  # a competence outside any known bloc keeps its texts
        statements.setdefault(c.id, c.statement)
        own.setdefault(c.id, [cr.text for cr in cert.own_criteria(c.id)])
    return statements, own


# ---------------------------------------------------------------- embedding


def make_embedder(backend: str, config: Config):
    """The backend named in a channel, cached on disk when the config says so."""
    from crossref.embed import get_embedder

    options: dict[str, Any] = {}
    if backend == "sentence-transformers":
        options["model"] = config.embedding.st_model
    elif backend == "use-multilingual":
        options["threads"] = config.embedding.threads
    cache_dir = config.embedding.cache_dir if config.embedding.cache and backend != "lexical" else None
    return get_embedder(backend, cache_dir=cache_dir, **options)


class Embeddings:
    """Channel vectors of every competence, clause vectors, and the fitted lexical model."""

    def __init__(self, config: Config, info: dict[str, Any], lexical_texts: list[str] | None = None) -> None:
        from crossref.matching import parse_channel

        self.config = config
        self.channels = dict(config.matching.channels)
        if not self.channels:
            from crossref.errors import ConfigError

            raise ConfigError("matching.channels is empty: at least one backend:view is needed")
        backends = sorted({parse_channel(c)[0] for c in self.channels} | {config.matching.clause_backend})
        self.embedders: dict[str, Any] = {}
        all_clauses = [c for cl in info["clauses"] for c in cl]
        # The lexical vocabulary and IDF come from fixed reference texts (the built-in
        # référentiels), never from the corpus at hand: adding a certification must not
        # move the others' scores.
        if lexical_texts is None:
            lexical_texts = info["views"]["full"] + all_clauses
        for b in backends:
            emb = make_embedder(b, config)
            if b == "lexical":
                emb.fit([t for t in lexical_texts if t.strip()])
            self.embedders[b] = emb
        self.vectors: dict[str, np.ndarray] = {}
        # Which competences have text in a channel's view (own critères may be absent).
        self.present: dict[str, np.ndarray] = {}
        for channel in self.channels:
            backend, view = parse_channel(channel)
            if view not in info["views"]:
                from crossref.errors import ConfigError

                raise ConfigError(f"matching.channels: unknown view {view!r} in {channel!r} "
                                  f"(text, full, core, criteria)")
            texts = info["views"][view]
            present = np.array([bool(t.strip()) for t in texts])
            x = self.embed(backend, texts)
            # An empty text is no evidence: a zero vector, never "identical" to another empty one.
            self.vectors[channel] = np.where(present[:, None], x, 0).astype(np.float32)
            self.present[channel] = present
        self.clause_vectors = self.embed(config.matching.clause_backend, all_clauses)
        self.clause_lengths = np.array([len(cl) for cl in info["clauses"]], dtype=np.int64)
        self.lexical = self.embedders.get("lexical")
        if self.lexical is None:
            from crossref.embed.lexical import LexicalEmbedder

            self.lexical = LexicalEmbedder().fit([t for t in lexical_texts if t.strip()])
        # Raw score parts shown to users: semantic (first neural text channel),
        # lexical (full view), criteria (own critères, lexical).
        self.part_vectors = {
            "lexical": self.lexical.embed(info["views"]["full"]),
            "criteria": self.lexical.embed(info["views"]["criteria"]),
        }
        # Content words of each competence (first occurrence, as written) for "shared terms".
        self.terms = []
        for text in info["views"]["full"]:
            seen: dict[str, str] = {}
            for key, surface in self.lexical.terms(text):
                seen.setdefault(key, surface)
            self.terms.append((list(seen.items()), set(seen)))
        # Structural evidence: which bloc each competence belongs to, and its bloc title's vector.
        bloc_ids = list(dict.fromkeys(info["blocs"]))
        position = {b: n for n, b in enumerate(bloc_ids)}
        self.bloc_index = np.array([position[b] for b in info["blocs"]], dtype=np.int64)
        self.bloc_title_vectors = self.embed(config.matching.clause_backend, info["bloc_titles"])
        # The clause backend first: the semantic part shown to users must be on a readable scale
        # (e5 cosines bunch in 0.8-0.9).
        neural = sorted((b for b in backends if b != "lexical"), key=lambda b: b != config.matching.clause_backend)
        self.part_vectors["semantic"] = (
            self.embed(neural[0], info["views"]["text"]) if neural else self.part_vectors["lexical"])

    def embed(self, backend: str, texts: list[str]) -> np.ndarray:
        from crossref.neighbours import l2_normalise

        if not texts:
            return np.zeros((0, 1), np.float32)
        x = self.embedders[backend].embed(list(texts))
        return l2_normalise(np.asarray(x, dtype=np.float32))


# ---------------------------------------------------------------- pairs

_DIRECTION_FLIP = {"same": "same", "broader": "narrower", "narrower": "broader"}
MAX_SHARED_TERMS = 8
STATS_SAMPLE = 200_000


def measure_channel_statistics(emb: Embeddings, certs: np.ndarray) -> dict[str, Any]:
    """Standardisation statistics of each channel, measured on this corpus's cross-certification
    pairs where both sides have text (``crossref calibrate`` runs it on the built-in référentiels)."""
    from crossref.matching import channel_stats, sample_pairs

    i, j = sample_pairs(certs, STATS_SAMPLE)
    out = {}
    for c, x in emb.vectors.items():
        both = emb.present[c][i] & emb.present[c][j]
        out[c] = channel_stats(x, i[both], j[both])
    return out


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


def _pair_rows(info, emb: Embeddings, block, model, config: Config) -> list[dict[str, Any]]:
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
    ids, blocs, certs, clauses = info["ids"], info["blocs"], info["certs"], info["clauses"]
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


def score_pairs(info: dict[str, Any], emb: Embeddings, config: Config, artifact) -> pd.DataFrame:
    """The model's pairs table (no decisions applied), one certification pair at a time."""
    from crossref.blocks import certification_blocks
    from crossref.tables import PAIR_COLUMNS

    names = None
    rows: list[dict[str, Any]] = []
    for block in certification_blocks(emb, artifact.channels, config.matching, info["certs"]):
        if names is None:
            artifact.model.check_names(block.features.names)
            names = block.features.names
        rows.extend(_pair_rows(info, emb, block, artifact.model, config))
    df = pd.DataFrame(rows, columns=PAIR_COLUMNS)
    position = {c: n for n, c in enumerate(info["ids"])}
    df = df.assign(_s=df["source"].map(position), _t=df["target"].map(position))
    return df.sort_values(["_s", "_t"], kind="stable", ignore_index=True).drop(columns=["_s", "_t"])


# ---------------------------------------------------------------- orchestration

# Bump when the cached tuple's layout changes (the code itself is hashed into the key).
RESULTS_FORMAT = 1


def data_versions(corpus: Corpus) -> dict[str, str]:
    """A short content hash per certification (recorded in exports)."""
    import hashlib
    import json

    return {c.id: hashlib.sha256(json.dumps(c.to_dict(), sort_keys=True, ensure_ascii=False).encode())
            .hexdigest()[:12] for c in corpus}


_KEYED_SOURCES = ("pipeline.py", "matching.py", "clusters.py", "embed/lexical.py", "blocks.py", "features.py",
                  "pair_model.py", "labels.py")


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


class _LazyScorer:
    """Scores free texts (VAE sentences) against competences; builds the embedders only when first used.

    A sentence evidences a competence on two grounds, both standardised on
    clause-vs-competence similarities of different certifications: the
    channels' hybrid against the whole competence (as a clause is scored), and
    the lexical similarity to the competence's « verbe + objet » (its title and
    core clause), so that « je segmente mon portefeuille » meets « Définir une
    segmentation client ». The evidence logistic maps their weighted sum to [0, 1].
    """

    # Evidence logistic (VAE), set by hand on the narratives of tests/data/vae/ (not fitted on the
    # pair reference, whose base rate of listed pairs is far lower). The core part is capped: a
    # short title sharing one rare word (« plan ») must not outweigh the whole statement.
    CORE_WEIGHT = 0.5
    CORE_CAP = (-2.0, 4.0)
    EVIDENCE_CENTER = 2.6
    EVIDENCE_SCALE = 0.5

    def __init__(self, config: Config, corpus: Corpus) -> None:
        self.config, self.corpus = config, corpus
        self._state: tuple[dict[str, Any], Embeddings, dict[str, Any], list[Any]] | None = None
        import threading

        self._lock = threading.Lock()

    def _load(self):
        with self._lock:  # a dashboard warms it in the background while a session may ask for it
            if self._state is None:
                info = competence_views(self.corpus)
                emb = Embeddings(self.config, info, lexical_reference_texts())
                cores = _core_texts(self.corpus)
                lexical = emb.lexical
                assert lexical is not None  # Embeddings always fits one
                core_vectors = [lexical.embed_sparse(t) for t in cores]
                self._state = (info, emb, self._sentence_stats(info, emb, core_vectors), core_vectors)
            return self._state

    def state(self) -> tuple[dict[str, Any], Embeddings, dict[str, Any], list[Any]]:
        """The corpus views and embeddings (loaded once): also what a pair's features are recomputed from."""
        return self._load()

    def warm(self) -> None:
        """Load the models and run each once, so the first analysis is quick. The models load
        lazily on their first text, and a cached text never reaches them: each embeds one itself."""
        info, emb, _, _ = self._load()
        for embedder in emb.embedders.values():
            getattr(embedder, "inner", embedder).embed(["amorce d'une analyse"])
        if info["ids"]:
            self.parts(["amorce"], info["ids"][:1])

    @staticmethod
    def _sentence_stats(info, emb: Embeddings, core_vectors) -> dict[str, Any]:
        """Channel statistics of clause-vs-competence similarities (other certifications).

        A free-text sentence is scored on the scale of a clause, not of a whole
        competence: its cosines run lower, so it gets statistics of its own kind.
        Every clause against every competence of another certification (a few
        hundred by a few hundred: exact, and cheaper than sampling).
        """
        from crossref.matching import ChannelStats, parse_channel

        clause_cert = np.repeat(info["certs"], emb.clause_lengths)
        clauses = [c for cl in info["clauses"] for c in cl]
        other = clause_cert[:, None] != info["certs"][None, :]
        stats, by_backend = {}, {}
        for channel, x in emb.vectors.items():
            backend, _ = parse_channel(channel)
            if backend not in by_backend:
                by_backend[backend] = emb.embed(backend, clauses)
            keep = other & emb.present[channel][None, :]
            sims = (by_backend[backend] @ x.T)[keep]
            stats[channel] = ChannelStats(float(sims.mean()), float(sims.std()) or 1.0)
        lexical = emb.lexical
        assert lexical is not None
        core = _core_similarity(lexical.embed_sparse(clauses), core_vectors)[other]
        stats["core"] = ChannelStats(float(core.mean()), float(core.std()) or 1.0)
        return stats

    def parts(self, texts: list[str], competence_ids: list[str]) -> dict[str, np.ndarray]:
        """Standardised evidence parts, each (len(texts), len(competence_ids)):
        ``hybrid`` (the channels against the whole competence) and ``core``
        (lexical, against its title and core clause)."""
        from crossref.matching import combine, parse_channel

        info, emb, stats, core_vectors = self._load()
        pos = {c: n for n, c in enumerate(info["ids"])}
        try:
            idx = [pos[c] for c in competence_ids]
        except KeyError as exc:
            from crossref.errors import CrossrefError

            raise CrossrefError(f"compétence inconnue : {exc.args[0]}") from None
        texts = list(texts)
        if not texts or not idx:
            empty = np.zeros((len(texts), len(idx)))
            return {"hybrid": empty, "core": empty.copy()}
        sims = {}
        by_backend: dict[str, np.ndarray] = {}
        for channel, x in emb.vectors.items():
            backend, _ = parse_channel(channel)
            if backend not in by_backend:
                by_backend[backend] = emb.embed(backend, texts)
            sims[channel] = by_backend[backend] @ x[idx].T  # channel vectors are dense (see Embeddings)
        masks = {c: np.broadcast_to(p[idx][None, :], (len(texts), len(idx)))
                 for c, p in emb.present.items() if not p[idx].all()}
        lexical = emb.lexical
        assert lexical is not None
        core = _core_similarity(lexical.embed_sparse(texts), [core_vectors[i] for i in idx])
        return {"hybrid": combine(sims, emb.channels, stats, masks), "core": stats["core"].z(core)}

    def __call__(self, texts: list[str], competence_ids: list[str]) -> np.ndarray:
        from crossref.matching import calibrate

        p = self.parts(texts, competence_ids)
        evidence = p["hybrid"] + self.CORE_WEIGHT * np.clip(p["core"], *self.CORE_CAP)
        return calibrate(evidence, self.EVIDENCE_CENTER, self.EVIDENCE_SCALE)


def _core_texts(corpus: Corpus) -> list[list[str]]:
    """Per competence (corpus order): its « verbe + objet », the title and the core clause."""
    from crossref.matching import core_clause

    out = []
    for cert in corpus:
        for comp in cert.competences:
            texts = [t for t in dict.fromkeys([(comp.title or "").strip(), core_clause(comp.statement)]) if t]
            out.append(texts or [""])  # one row per competence, even an empty one (a zero vector)
    return out


def _core_similarity(queries, core_vectors) -> np.ndarray:
    """(queries, competences): the best lexical cosine of each query with a competence's core texts."""
    import scipy.sparse as sp

    if not core_vectors:
        return np.zeros((queries.shape[0], 0))
    stacked = sp.vstack(core_vectors).tocsr()
    sims = np.asarray((queries @ stacked.T).todense())
    ends = np.cumsum([v.shape[0] for v in core_vectors])
    starts = np.concatenate([[0], ends[:-1]])
    return np.maximum.reduceat(sims, starts, axis=1)


def lexical_texts(info: dict[str, Any]) -> list[str]:
    """The texts of a corpus's views the lexical channel is fitted on (full view and clauses)."""
    return info["views"]["full"] + [c for cl in info["clauses"] for c in cl]


def lexical_reference_texts() -> list[str]:
    """Texts the lexical channel is fitted on: the built-in référentiels, whatever else is loaded
    (the calibration artifact's statistics were measured with this vocabulary)."""
    from crossref.config import DEFAULT_DATA_DIR
    from crossref.referentiels import load_corpus

    return lexical_texts(competence_views(load_corpus(str(DEFAULT_DATA_DIR))))


def load_configured_artifact(config: Config):
    """The calibration artifact the configuration names, checked against it."""
    from crossref.calibration import load_artifact

    artifact = load_artifact(config.matching.calibration)
    artifact.check(config)
    return artifact


def compute(config: Config, corpus: Corpus) -> Results:
    """Score every pair of the corpus (no cache, no decisions)."""
    from datetime import datetime, timezone

    artifact = load_configured_artifact(config)
    info = competence_views(corpus)
    emb = Embeddings(config, info, lexical_reference_texts())
    pairs = score_pairs(info, emb, config, artifact)
    clusters = _clusters(info, emb, config)
    return Results(config=config, corpus=corpus, pairs=pairs, clusters=clusters,
                   created_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   data_versions=data_versions(corpus))


def _clusters(info: dict[str, Any], emb: Embeddings, config: Config) -> pd.DataFrame:
    try:
        from crossref.clusters import cluster_competences
    except ImportError:  # pragma: no cover - module always shipped
        return pd.DataFrame()
    vectors = emb.part_vectors["semantic"]
    return cluster_competences(vectors, list(info["ids"]), list(info["certs"]), info["views"]["text"])


def run(config: Config | None = None, extra=(), *, use_cache: bool = True, decisions: bool = True) -> Results:
    """Load the corpus, score all pairs (cached), apply reviewed decisions."""
    import pickle
    from pathlib import Path

    from crossref.referentiels import load_corpus

    config = config or Config()
    load_configured_artifact(config)  # a missing or mismatched calibration is a clear error, first
    corpus = load_corpus(config.data_dir, extra)
    versions = data_versions(corpus)
    cache_file = Path(config.embedding.cache_dir) / f"results-{_results_key(config, versions)}.pkl"
    results = None
    if use_cache and config.embedding.cache and cache_file.is_file():
        try:
            with open(cache_file, "rb") as fh:
                pairs, clusters, created_at = pickle.load(fh)
            results = Results(config=config, corpus=corpus, pairs=pairs, clusters=clusters,
                              created_at=created_at, data_versions=versions)
        except Exception:  # a stale or corrupt cache is recomputed, never fatal
            results = None
    if results is None:
        if use_cache and config.embedding.cache:  # fail before the long computation, not after
            from crossref.config_checks import check_writable_dir

            check_writable_dir("embedding.cache_dir", config.embedding.cache_dir)
        results = compute(config, corpus)
        if use_cache and config.embedding.cache:
            from crossref.io import atomic_write_bytes

            atomic_write_bytes(cache_file, pickle.dumps((results.pairs, results.clusters, results.created_at)))
    results._scorer = _LazyScorer(config, corpus)
    if decisions:
        results.pairs = apply_reviewed(results.pairs, config)
    return results


def apply_reviewed(pairs: pd.DataFrame, config: Config) -> pd.DataFrame:
    """Reviewed decisions override the model (reading never creates the database)."""
    from crossref.review import DecisionStore, apply_decisions

    store = DecisionStore(config.db_url)
    try:
        return apply_decisions(pairs, store)
    finally:
        store.close()
