"""Stage 2: every competence's channel vectors, clause vectors and the lexical model.

:func:`embed_views` turns :class:`~crossref.corpus_views.CompetenceViews` into
an :class:`Embeddings`: one L2-normalised matrix per configured channel
(``backend:view``), the clause vectors of the clause backend, and the raw
score parts shown to reviewers. The lexical model is fitted on fixed
reference texts (the built-in référentiels), never on the corpus at hand, so
adding a certification never moves the others' scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crossref.config import Config
from crossref.corpus_views import CompetenceViews
from crossref.errors import ConfigError


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


def _normalised(embedder: Any, texts: list[str]) -> np.ndarray:
    from crossref.neighbours import l2_normalise

    if not texts:
        return np.zeros((0, 1), np.float32)
    return l2_normalise(np.asarray(embedder.embed(list(texts)), dtype=np.float32))


@dataclass(frozen=True)
class Embeddings:
    """Channel vectors of every competence (corpus order), clause vectors, and the fitted lexical model."""

    channels: dict[str, float]             # channel -> weight (config.matching.channels)
    clause_backend: str
    embedders: dict[str, Any]              # backend -> embedder (the lexical one fitted)
    vectors: dict[str, np.ndarray]         # channel -> (n, d), zero rows where the view is empty
    present: dict[str, np.ndarray]         # channel -> (n,) bool: the view has text
    clause_vectors: np.ndarray             # (total clauses, d), clause backend
    clause_lengths: np.ndarray             # clauses per competence
    lexical: Any                           # the lexical embedder (fitted even if no channel uses it)
    part_vectors: dict[str, np.ndarray]    # semantic, lexical, criteria: raw cosines shown to users
    terms: list[tuple[list[tuple[str, str]], set[str]]]  # content words (key, surface) per competence
    bloc_index: np.ndarray                 # bloc number per competence
    bloc_title_vectors: np.ndarray         # the bloc title's vector per competence

    def embed(self, backend: str, texts: list[str]) -> np.ndarray:
        """L2-normalised vectors of free texts with one of the loaded backends."""
        return _normalised(self.embedders[backend], texts)


def _embedders(config: Config, lexical_texts: list[str]) -> dict[str, Any]:
    from crossref.matching import parse_channel

    backends = sorted({parse_channel(c)[0] for c in config.matching.channels} | {config.matching.clause_backend})
    out = {}
    for b in backends:
        emb = make_embedder(b, config)
        if b == "lexical":
            emb.fit([t for t in lexical_texts if t.strip()])
        out[b] = emb
    return out


def _channel_vectors(views: CompetenceViews, embedders: dict[str, Any], channels: dict[str, float]):
    from crossref.matching import parse_channel

    vectors, present = {}, {}
    for channel in channels:
        backend, view = parse_channel(channel)
        if view not in views.views:
            raise ConfigError(f"matching.channels: unknown view {view!r} in {channel!r} "
                              f"({', '.join(views.views)})")
        texts = views.views[view]
        has_text = np.array([bool(t.strip()) for t in texts], dtype=bool)
        x = _normalised(embedders[backend], texts)
        # An empty text is no evidence: a zero vector, never "identical" to another empty one.
        vectors[channel] = np.where(has_text[:, None], x, 0).astype(np.float32)
        present[channel] = has_text
    return vectors, present


def _content_terms(lexical: Any, texts: list[str]) -> list[tuple[list[tuple[str, str]], set[str]]]:
    """Content words of each text (first occurrence, as written), for « termes communs »."""
    out = []
    for text in texts:
        seen: dict[str, str] = {}
        for key, surface in lexical.terms(text):
            seen.setdefault(key, surface)
        out.append((list(seen.items()), set(seen)))
    return out


def embed_views(config: Config, views: CompetenceViews, lexical_texts: list[str] | None = None) -> Embeddings:
    """Embed every view the configured channels read. ``lexical_texts``: what the lexical
    vocabulary and IDF are fitted on (default: this corpus's own texts; the pipeline passes
    the built-in référentiels', see :func:`crossref.corpus_views.lexical_reference_texts`)."""
    from crossref.corpus_views import lexical_texts as own_texts

    mcfg = config.matching
    channels = dict(mcfg.channels)
    if not channels:
        raise ConfigError("matching.channels is empty: at least one backend:view is needed")
    if lexical_texts is None:
        lexical_texts = own_texts(views)
    embedders = _embedders(config, lexical_texts)
    vectors, present = _channel_vectors(views, embedders, channels)
    lexical = embedders.get("lexical")
    if lexical is None:
        from crossref.embed.lexical import LexicalEmbedder

        lexical = LexicalEmbedder().fit([t for t in lexical_texts if t.strip()])
    clause = embedders[mcfg.clause_backend]
    part_vectors = {"lexical": lexical.embed(views.views["full"]), "criteria": lexical.embed(views.views["criteria"])}
    # The clause backend first: the semantic part shown to users must be on a readable scale
    # (e5 cosines bunch in 0.8-0.9).
    neural = sorted((b for b in embedders if b != "lexical"), key=lambda b: b != mcfg.clause_backend)
    part_vectors["semantic"] = (_normalised(embedders[neural[0]], views.views["text"]) if neural
                                else part_vectors["lexical"])
    # Structural evidence: which bloc each competence belongs to, and its bloc title's vector.
    position = {b: n for n, b in enumerate(dict.fromkeys(views.blocs))}
    return Embeddings(
        channels=channels, clause_backend=mcfg.clause_backend, embedders=embedders,
        vectors=vectors, present=present,
        clause_vectors=_normalised(clause, views.all_clauses()),
        clause_lengths=np.array([len(cl) for cl in views.clauses], dtype=np.int64),
        lexical=lexical, part_vectors=part_vectors, terms=_content_terms(lexical, views.views["full"]),
        bloc_index=np.array([position[b] for b in views.blocs], dtype=np.int64),
        bloc_title_vectors=_normalised(clause, views.bloc_titles),
    )


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
