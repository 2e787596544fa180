"""Free texts (a VAE candidate's sentences) scored against competences.

A sentence evidences a competence on two grounds, both standardised on
clause-vs-competence similarities of different certifications: the channels'
hybrid against the whole competence (as a clause is scored), and the lexical
similarity to the competence's « verbe + objet » (its title and core clause),
so that « je segmente mon portefeuille » meets « Définir une segmentation
client »; and the stemmed words (:mod:`crossref.stemming`) of the sentence
against those of the competence, so that a verb meets its noun (« je négocie »
/ « négociation », « je surveille » / « veille »). The evidence logistic maps
their weighted sum to [0, 1]; its weights are fitted on the narratives of
tests/data/vae/ (benchmarks/fit_evidence_scale.py) and measured on
tests/data/vae_heldout/ (benchmarks/vae_heldout.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from crossref.corpus_views import CompetenceViews
from crossref.embeddings import Embeddings
from crossref.model import Corpus


@dataclass(frozen=True)
class EvidenceScale:
    """How the standardised parts become one evidence probability.

    Fitted on the labelled narratives of tests/data/vae/ by
    benchmarks/fit_evidence_scale.py (not on the pair reference, whose base
    rate of listed pairs is far lower). The lexical parts are capped: a short
    title sharing one rare word (« plan ») must not outweigh the whole statement.
    """

    core_weight: float = 0.0
    core_cap: tuple[float, float] = (-2.0, 4.0)
    stem_weight: float = 0.5
    # Subtracted where the sentence shares no word of the competence's object (its « verbe +
    # objet » less the verb): a neural likeness alone (« je prépare les repas » / « Préparer des
    # indicateurs ») is weaker evidence.
    no_object_penalty: float = 0.5
    center: float = 1.4
    scale: float = 0.5


class TextScorer:
    """Scores free texts against the competences of one corpus, on the scale of pair scores."""

    def __init__(self, corpus: Corpus, views: CompetenceViews, emb: Embeddings,
                 scale: EvidenceScale = EvidenceScale()) -> None:
        self.views, self.emb, self.scale = views, emb, scale
        self._position = views.positions()
        cores = core_texts(corpus)
        self._core_vectors = [emb.lexical.embed_sparse(t) for t in cores]
        self.stems = StemIndex([" ".join(t) for t in cores])
        self.stats = self._sentence_stats()

    def warm(self) -> None:
        """Run each model once, so the first analysis is quick. The models load lazily on
        their first text, and a cached text never reaches them: each embeds one itself."""
        for embedder in self.emb.embedders.values():
            getattr(embedder, "inner", embedder).embed(["amorce d'une analyse"])
        if self.views.ids:
            self.parts(["amorce"], self.views.ids[:1])

    def _sentence_stats(self) -> dict[str, Any]:
        """Channel statistics of clause-vs-competence similarities (other certifications).

        A free-text sentence is scored on the scale of a clause, not of a whole
        competence: its cosines run lower, so it gets statistics of its own kind.
        Every clause against every competence of another certification (a few
        hundred by a few hundred: exact, and cheaper than sampling).
        """
        from crossref.matching import ChannelStats, parse_channel

        emb, certs = self.emb, self.views.certs
        clause_cert = np.repeat(certs, emb.clause_lengths)
        clauses = self.views.all_clauses()
        other = clause_cert[:, None] != certs[None, :]
        stats, by_backend = {}, {}
        for channel, x in emb.vectors.items():
            backend, _ = parse_channel(channel)
            if backend not in by_backend:
                by_backend[backend] = emb.embed(backend, clauses)
            keep = other & emb.present[channel][None, :]
            sims = (by_backend[backend] @ x.T)[keep]
            stats[channel] = ChannelStats(float(sims.mean()), float(sims.std()) or 1.0)
        core = core_similarity(emb.lexical.embed_sparse(clauses), self._core_vectors)[other]
        stats["core"] = ChannelStats(float(core.mean()), float(core.std()) or 1.0)
        stem = self.stems.similarity(clauses)[other]
        stats["stem"] = ChannelStats(float(stem.mean()), float(stem.std()) or 1.0)
        return stats

    def _indices(self, competence_ids: list[str]) -> list[int]:
        try:
            return [self._position[c] for c in competence_ids]
        except KeyError as exc:
            from crossref.errors import CrossrefError

            raise CrossrefError(f"compétence inconnue : {exc.args[0]}") from None

    def parts(self, texts: list[str], competence_ids: list[str]) -> dict[str, np.ndarray]:
        """Standardised evidence parts, each (len(texts), len(competence_ids)):
        ``hybrid`` (the channels against the whole competence) and ``core``
        (lexical, against its title and core clause) and ``stem`` (stemmed words, against
        the same), ``object`` (1 where the text shares a word of the competence's object)."""
        from crossref.matching import combine, parse_channel

        emb, stats = self.emb, self.stats
        idx = self._indices(competence_ids)
        texts = list(texts)
        if not texts or not idx:
            empty = np.zeros((len(texts), len(idx)))
            return {"hybrid": empty, "core": empty.copy(), "stem": empty.copy(), "object": empty.copy()}
        sims = {}
        by_backend: dict[str, np.ndarray] = {}
        for channel, x in emb.vectors.items():
            backend, _ = parse_channel(channel)
            if backend not in by_backend:
                by_backend[backend] = emb.embed(backend, texts)
            sims[channel] = by_backend[backend] @ x[idx].T  # channel vectors are dense (see Embeddings)
        masks = {c: np.broadcast_to(p[idx][None, :], (len(texts), len(idx)))
                 for c, p in emb.present.items() if not p[idx].all()}
        core = core_similarity(emb.lexical.embed_sparse(texts), [self._core_vectors[i] for i in idx])
        stem = self.stems.similarity(texts, idx)
        return {"hybrid": combine(sims, emb.channels, stats, masks), "core": stats["core"].z(core),
                "stem": stats["stem"].z(stem), "object": (stem > 0).astype(float)}

    def __call__(self, texts: list[str], competence_ids: list[str]) -> np.ndarray:
        """(len(texts), len(competence_ids)) evidence in [0, 1], comparable to pair scores."""
        from crossref.matching import calibrate

        p = self.parts(texts, competence_ids)
        s = self.scale
        return calibrate(evidence(p, s), s.center, s.scale)


def evidence(parts: dict[str, np.ndarray], s: EvidenceScale) -> np.ndarray:
    """The weighted sum of the standardised parts (before the logistic)."""
    return (parts["hybrid"] + s.core_weight * np.clip(parts["core"], *s.core_cap)
            + s.stem_weight * np.clip(parts["stem"], *s.core_cap)
            - s.no_object_penalty * (1.0 - parts["object"]))


class StemIndex:
    """Stemmed-word cosines of texts with fixed documents (the competences' « verbe + objet »).

    Words weigh by their IDF over the documents; a text's word that no document
    has counts in its norm with the highest IDF (an unrelated word dilutes the
    match). Binary term frequencies: a sentence is short.
    """

    def __init__(self, documents: list[str]) -> None:
        from crossref.stemming import stems

        words = [stems(d) for d in documents]
        bags = [set(w) for w in words]
        self.vocab = {w: i for i, w in enumerate(sorted(set().union(*bags)))} if bags else {}
        df = np.zeros(len(self.vocab))
        for bag in bags:
            df[[self.vocab[w] for w in bag]] += 1
        self.idf = np.log((1 + len(bags)) / (1 + df)) + 1.0
        self.unknown_idf = float(np.log(1 + len(bags)) + 1.0)
        self.docs = self._rows(bags, self.idf).tocsr()
        # The object: every word but the leading verb (« Réaliser » in « Réaliser une négociation »),
        # wherever it recurs (the title and the core clause often open on the same verb).
        self.objects = self._rows([set(w) - set(w[:1]) for w in words], np.ones(len(self.vocab)), norm=False).tocsr()

    def _rows(self, bags, idf, norm: bool = True):
        import scipy.sparse as sp

        rows, cols = [], []
        for r, bag in enumerate(bags):
            known = sorted(self.vocab[w] for w in bag if w in self.vocab)
            rows += [r] * len(known)
            cols += known
        m = sp.csr_matrix((idf[cols], (rows, cols)), shape=(len(bags), len(self.vocab)))
        if not norm:
            return m
        norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel()
                        + np.array([sum(w not in self.vocab for w in b) for b in bags]) * self.unknown_idf ** 2)
        return sp.diags(1.0 / np.maximum(norms, 1e-12)) @ m

    def similarity(self, texts: list[str], idx: list[int] | None = None) -> np.ndarray:
        """(len(texts), documents or len(idx)) cosines in [0, 1]; 0 where the text shares no word
        of the document's object (the leading verb alone, « préparer », is no evidence)."""
        from crossref.stemming import matched_stems

        docs = self.docs if idx is None else self.docs[idx]
        if not self.vocab:
            return np.zeros((len(texts), docs.shape[0]))
        objects = self.objects if idx is None else self.objects[idx]
        rows = self._rows([set(matched_stems(t, self.vocab)) for t in texts], self.idf)
        cos = np.asarray((rows @ docs.T).todense())
        return np.where(np.asarray((rows @ objects.T).todense()) > 0, cos, 0.0)


def core_texts(corpus: Corpus) -> list[list[str]]:
    """Per competence (corpus order): its « verbe + objet », the title and the core clause."""
    from crossref.matching import core_clause

    out = []
    for cert in corpus:
        for comp in cert.competences:
            texts = [t for t in dict.fromkeys([(comp.title or "").strip(), core_clause(comp.statement)]) if t]
            out.append(texts or [""])  # one row per competence, even an empty one (a zero vector)
    return out


def core_similarity(queries, core_vectors) -> np.ndarray:
    """(queries, competences): the best lexical cosine of each query with a competence's core texts."""
    import scipy.sparse as sp

    if not core_vectors:
        return np.zeros((queries.shape[0], 0))
    stacked = sp.vstack(core_vectors).tocsr()
    sims = np.asarray((queries @ stacked.T).todense())
    ends = np.cumsum([v.shape[0] for v in core_vectors])
    starts = np.concatenate([[0], ends[:-1]])
    return np.maximum.reduceat(sims, starts, axis=1)
