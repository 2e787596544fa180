"""French-aware TF-IDF: word 1-2 grams and character 3-5 grams, combined.

It catches what the neural models blur (shared technical terms, acronyms,
near-identical wording) and gives the "shared key terms" shown in explanations.

Normalisation: lowercase, accent folding (``stratégie`` = ``strategie``,
``œ`` = ``oe``), elisions split off (``l'offre`` -> ``offre``), stop words and
bare numbers dropped, and an optional light plural stripping (``clients`` ->
``client``, ``commerciaux`` -> ``commercial``). Character n-grams run over the
normalised content words, so they cover the rest of French morphology
(``négocier`` / ``négociation``) without a stemmer.

TF-IDF has to be fitted: call ``fit(corpus)`` on every text of the comparison
first; ``embed`` on an unfitted embedder fits on the texts it is given and keeps
that vocabulary. ``name`` carries a hash of the fitted vocabulary and IDF, so a
cache keyed by it can never mix vectors from two fits. Vectors are wide (one
column per n-gram) and cheap to recompute, so ``cacheable`` is False and
:class:`~crossref.embed.cache.CachedEmbedder` passes this backend through.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np

from crossref.embed.base import as_text_list

# Folded (accent-free, lowercase) French stop words. Kept short on purpose:
# grammar words, plus a few words that référentiels put in nearly every
# statement and that would otherwise make unrelated competences look alike.
STOP_WORDS: frozenset[str] = frozenset("""
    le la les l un une des du de d au aux ce cet cette ces son sa ses leur leurs
    mon ma mes ton ta tes notre nos votre vos chaque quelque quelques tout toute tous toutes
    autre autres meme memes
    a dans par pour sur sous avec sans entre vers chez en selon lors aupres apres avant
    pendant depuis jusqu jusque contre parmi via
    et ou ni mais donc or car que qu quand si comme lorsque puis
    il ils elle elles on se s je j me m te t nous vous lui eux y qui quoi dont
    celui celle ceux celles cela ceci ca
    etre est sont etait ete etant avoir ont avait ayant eu sera seront peut peuvent
    ne n pas plus moins tres aussi bien
    afin permettant permettre permet notamment ainsi egalement etc cadre fonction
    compte tenant partir capable capacite ensemble mettre mise oeuvre
""".split())

_WORD_RE = re.compile(r"[^\W_]+")
# Characters NFKD does not decompose.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


def fold(text: str) -> str:
    """Lowercase and strip accents (``Stratégie`` -> ``strategie``)."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_LIGATURES))
    return "".join(c for c in text if not unicodedata.combining(c))


def light_stem(word: str) -> str:
    """Strip French plural endings only; anything bolder hurts more than it helps."""
    if len(word) > 4 and word.endswith("aux") and not word.endswith("eaux"):
        return word[:-3] + "al"           # commerciaux -> commercial
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "os", "as")):
        return word[:-1]                   # clients -> client
    return word


class LexicalEmbedder:
    """TF-IDF over word 1-2 grams and char_wb 3-5 grams, hstacked and L2-normalised.

    Each block is L2-normalised and scaled by ``sqrt(weight / total weight)``,
    so the cosine of two combined vectors is the weighted mean of the word
    cosine and the char cosine.
    """

    cacheable = False  # see the module docstring

    def __init__(self, word_weight: float = 0.5, char_weight: float = 0.5, stem: bool = True,
                 sparse: bool = False, char_max_features: int | None = 200_000,
                 stop_words: frozenset[str] | None = None) -> None:
        if word_weight < 0 or char_weight < 0 or word_weight + char_weight <= 0:
            raise ValueError("word_weight and char_weight must be >= 0 and not both 0")
        self.word_weight = float(word_weight)
        self.char_weight = float(char_weight)
        self.stem = bool(stem)
        self.sparse = bool(sparse)
        self.char_max_features = char_max_features
        self.stop_words = STOP_WORDS if stop_words is None else frozenset(fold(w) for w in stop_words)
        self._word: Any = None  # fitted sklearn vectorisers
        self._char: Any = None
        self._fingerprint: str | None = None

    # -- normalisation ---------------------------------------------------------

    def _terms(self, text: str) -> list[tuple[str, str]]:
        """(normalised key, lowercase surface form) of each content word, in order."""
        out = []
        for surface in _WORD_RE.findall(text.lower()):
            key = fold(surface)
            if len(key) < 2 or key.isdigit() or key in self.stop_words:
                continue
            if self.stem:
                key = light_stem(key)
            out.append((key, surface))
        return out

    def terms(self, text: str) -> list[tuple[str, str]]:
        """(normalised key, lowercase surface form) of each content word, in order."""
        return self._terms(text)

    def tokens(self, text: str) -> list[str]:
        """The normalised content words of ``text`` in order (duplicates kept)."""
        return [k for k, _ in self._terms(text)]

    def shared_terms(self, a: str, b: str) -> list[str]:
        """Content words of ``a`` also in ``b`` (after normalisation), as written in ``a``."""
        keys_b = set(self.tokens(b))
        seen: set[str] = set()
        out = []
        for key, surface in self._terms(a):
            if key in keys_b and key not in seen:
                seen.add(key)
                out.append(surface)
        return out

    def _word_ngrams(self, text: str) -> list[str]:
        toks = self.tokens(text)
        return toks + [f"{x} {y}" for x, y in zip(toks, toks[1:])]

    def _content_string(self, text: str) -> str:
        return " ".join(self.tokens(text))

    # -- fitting ---------------------------------------------------------------

    @property
    def fitted(self) -> bool:
        return self._fingerprint is not None

    def fit(self, corpus: Sequence[str]) -> "LexicalEmbedder":
        from sklearn.feature_extraction.text import TfidfVectorizer

        corpus = as_text_list(corpus)
        if not corpus:
            raise ValueError("cannot fit the lexical embedder on an empty corpus")
        word = TfidfVectorizer(analyzer=self._word_ngrams, sublinear_tf=True, dtype=np.float32)
        char = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), preprocessor=self._content_string,
                               sublinear_tf=True, dtype=np.float32, max_features=self.char_max_features)
        # A corpus of stop words only has no vocabulary: sklearn raises; keep
        # such a block empty instead of failing the whole comparison.
        self._word = _fit_or_none(word, corpus)
        self._char = _fit_or_none(char, corpus)
        self._fingerprint = self._compute_fingerprint()
        return self

    def _compute_fingerprint(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps({"ww": self.word_weight, "cw": self.char_weight, "stem": self.stem,
                             "stop": sorted(self.stop_words)}).encode())
        for vec in (self._word, self._char):
            if vec is None:
                h.update(b"\0none")
                continue
            h.update("\n".join(vec.get_feature_names_out()).encode())
            h.update(np.asarray(vec.idf_, dtype=np.float32).tobytes())
        return h.hexdigest()

    @property
    def name(self) -> str:
        fp = self._fingerprint[:16] if self._fingerprint else "unfitted"
        return (f"lexical-v1:word1-2+char_wb3-5:w={self.word_weight:g}/{self.char_weight:g}:"
                f"stem={int(self.stem)}:vocab={fp}")

    @property
    def dim(self) -> int:
        return sum(len(v.idf_) for v in (self._word, self._char) if v is not None)

    # -- embedding -------------------------------------------------------------

    def embed_sparse(self, texts: Sequence[str]):
        """scipy CSR float32 matrix (n, dim) with unit (or all-zero) rows."""
        import scipy.sparse as sp
        from sklearn.preprocessing import normalize

        texts = as_text_list(texts)
        if not self.fitted:
            if not texts:
                return sp.csr_matrix((0, 0), dtype=np.float32)
            self.fit(texts)
        if not texts:  # sklearn refuses 0 samples
            return sp.csr_matrix((0, self.dim), dtype=np.float32)
        total = self.word_weight + self.char_weight
        blocks: list[Any] = []
        for vec, w in ((self._word, self.word_weight), (self._char, self.char_weight)):
            if vec is not None:
                blocks.append(vec.transform(texts) * np.float32(math.sqrt(w / total)))
        if not blocks:
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)
        x = sp.hstack(blocks, format="csr", dtype=np.float32)
        # Renormalise: a text with words but no word n-gram in the vocabulary
        # (or vice versa) must still come out as a unit row.
        return normalize(x, norm="l2", copy=False).astype(np.float32, copy=False)

    def embed(self, texts: Sequence[str]):
        """Dense float32 (n, dim) array, or CSR when built with ``sparse=True``."""
        x = self.embed_sparse(texts)
        return x if self.sparse else np.ascontiguousarray(x.toarray(), dtype=np.float32)


def _fit_or_none(vectorizer, corpus):
    try:
        vectorizer.fit(corpus)
    except ValueError:  # "empty vocabulary"
        return None
    return vectorizer
