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
cache keyed by it can never mix vectors from two fits; ``to_dict`` /
``from_dict`` (``save`` / ``load``) fix a fitted vocabulary in a file. Vectors
are wide (one column per n-gram) and cheap to recompute, so ``cacheable`` is
False and :class:`~crossref.embed.cache.CachedEmbedder` passes this backend
through. ``embed_sparse`` returns CSR and never densifies; ``embed`` (and
``embed_dense``) return a dense array for callers that need one.

Speed: each text is normalised once (``fast_fold``: one ``str.translate``);
character n-grams are counted with numpy (:mod:`crossref.embed.charngrams`,
equal to scikit-learn's ``char_wb`` vectoriser), word n-grams by scikit-learn.
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


# Characters whose fold() is precomputed: Latin, Greek, Cyrillic, general
# punctuation (typographic quotes), letter-like symbols, Latin ligatures.
_TABLE_RANGES = ((0x80, 0x0530), (0x2000, 0x2200), (0xFB00, 0xFB07))
_OUTSIDE_TABLE = re.compile("[^\x00-\u052f\u2000-\u21ff\ufb00-\ufb06]")


def _fold_table() -> dict[int, str]:
    # fold() of every character of those ranges, so that a whole text folds
    # with one C-level str.translate (fold is per character once marks are dropped).
    table = {}
    for lo, hi in _TABLE_RANGES:
        for code in range(lo, hi):
            ch = chr(code)
            folded = fold(ch)
            if folded != ch:
                table[code] = folded
    return table


_FOLD = _fold_table()
# Distinct words remembered with their key; cleared past this size (bounded memory).
_MAX_MEMO = 1_000_000


def fast_fold(text: str) -> str:
    """``fold(text)``, mostly in C: lowercase, then one table lookup per character."""
    out = text.lower().translate(_FOLD)
    return out if out.isascii() or not _OUTSIDE_TABLE.search(out) else fold(out)


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

    Every text is normalised once into its content string (the normalised
    content words joined by spaces: accent folding by ``str.translate``, one
    regex pass, a memo of each distinct word's key) and both scikit-learn
    vectorisers tokenise that string with their own code; vectors stay sparse
    until a caller asks for a dense array. The fitted vocabulary and IDF
    round-trip through :meth:`to_dict` / :meth:`from_dict` (JSON-safe), so a
    calibration artifact can fix them.
    """

    cacheable = False  # see the module docstring
    FORMAT = "crossref-lexical/1"

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
        self._keys: dict[str, str] = {}  # folded word -> normalised key ("" = dropped)

    # -- normalisation ---------------------------------------------------------

    def _key(self, folded: str) -> str:
        """Normalised key of one folded word; "" when it is not a content word."""
        key = self._keys.get(folded)
        if key is None:
            if len(folded) < 2 or folded.isdigit() or folded in self.stop_words:
                key = ""
            else:
                key = light_stem(folded) if self.stem else folded
            if len(self._keys) > _MAX_MEMO:
                self._keys.clear()
            self._keys[folded] = key
        return key

    def _terms(self, text: str) -> list[tuple[str, str]]:
        """(normalised key, lowercase surface form) of each content word, in order."""
        out = []
        for surface in _WORD_RE.findall(text.lower()):
            key = self._key(fold(surface))
            if key:
                out.append((key, surface))
        return out

    def terms(self, text: str) -> list[tuple[str, str]]:
        """(normalised key, lowercase surface form) of each content word, in order."""
        return self._terms(text)

    def tokens(self, text: str) -> list[str]:
        """The normalised content words of ``text`` in order (duplicates kept)."""
        return [k for k in map(self._key, _WORD_RE.findall(fast_fold(text))) if k]

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

    def content(self, text: str) -> str:
        """The normalised content words of ``text`` joined by single spaces (what is vectorised)."""
        return " ".join(self.tokens(text))

    # -- fitting ---------------------------------------------------------------

    @property
    def fitted(self) -> bool:
        return self._fingerprint is not None

    @staticmethod
    def _word_vectoriser():
        from sklearn.feature_extraction.text import TfidfVectorizer

        # Input is already a content string: split on spaces, no other processing.
        return TfidfVectorizer(analyzer="word", token_pattern=r"\S+", lowercase=False, ngram_range=(1, 2),
                               sublinear_tf=True, dtype=np.float32)

    def fit(self, corpus: Sequence[str]) -> "LexicalEmbedder":
        from crossref.embed import charngrams

        corpus = as_text_list(corpus)
        if not corpus:
            raise ValueError("cannot fit the lexical embedder on an empty corpus")
        contents = [self.content(t) for t in corpus]
        # A corpus of stop words only has no vocabulary: sklearn raises; keep
        # such a block empty instead of failing the whole comparison.
        self._word = _fit_or_none(self._word_vectoriser(), contents)
        self._char = charngrams.fit(contents, self.char_max_features)
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

    # -- the fitted state, for a calibration artifact --------------------------

    def to_dict(self) -> dict:
        """Options, vocabulary (in column order) and IDF of a fitted embedder, JSON-safe."""
        if not self.fitted:
            raise ValueError("the lexical embedder is not fitted: nothing to save")

        def block(vec):
            if vec is None:
                return None
            return {"vocabulary": vec.get_feature_names_out().tolist(),
                    "idf": [float(v) for v in np.asarray(vec.idf_, dtype=np.float32)]}

        return {"format": self.FORMAT, "word_weight": self.word_weight, "char_weight": self.char_weight,
                "stem": self.stem, "char_max_features": self.char_max_features,
                "stop_words": sorted(self.stop_words), "word": block(self._word), "char": block(self._char),
                "fingerprint": self._fingerprint}

    @classmethod
    def from_dict(cls, data: dict, *, sparse: bool = False) -> "LexicalEmbedder":
        """The embedder saved by :meth:`to_dict`: same name, same vectors."""
        if not isinstance(data, dict) or data.get("format") != cls.FORMAT:
            raise ValueError(f"not a saved lexical embedder (format {cls.FORMAT!r} expected)")
        self = cls(word_weight=data["word_weight"], char_weight=data["char_weight"], stem=data["stem"],
                   sparse=sparse, char_max_features=data["char_max_features"], stop_words=frozenset())
        from crossref.embed.charngrams import CharNgramTfidf

        self.stop_words = frozenset(data["stop_words"])  # already folded
        for attr, block in (("_word", data["word"]), ("_char", data["char"])):
            if block is None:
                setattr(self, attr, None)
                continue
            if len(block["vocabulary"]) != len(block["idf"]):
                raise ValueError(f"saved lexical embedder: {attr[1:]} vocabulary and idf differ in length")
            idf = np.asarray(block["idf"], dtype=np.float32)
            if attr == "_char":
                vec = CharNgramTfidf(block["vocabulary"], idf)
            else:
                vec = self._word_vectoriser()
                vec.vocabulary = {t: i for i, t in enumerate(block["vocabulary"])}
                vec.idf_ = idf
            setattr(self, attr, vec)
        self._fingerprint = self._compute_fingerprint()
        if data.get("fingerprint") not in (None, self._fingerprint):
            raise ValueError("saved lexical embedder: fingerprint does not match its vocabulary")
        return self

    def save(self, path) -> None:
        from crossref.io import atomic_write_text

        atomic_write_text(path, json.dumps(self.to_dict(), ensure_ascii=False))

    @classmethod
    def load(cls, path, *, sparse: bool = False) -> "LexicalEmbedder":
        from pathlib import Path

        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")), sparse=sparse)

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
        contents = [self.content(t) for t in texts]
        total = self.word_weight + self.char_weight
        blocks: list[Any] = []
        for vec, w in ((self._word, self.word_weight), (self._char, self.char_weight)):
            if vec is not None:
                blocks.append(vec.transform(contents) * np.float32(math.sqrt(w / total)))
        if not blocks:
            return sp.csr_matrix((len(texts), 0), dtype=np.float32)
        x = sp.hstack(blocks, format="csr", dtype=np.float32)
        # Renormalise: a text with words but no word n-gram in the vocabulary
        # (or vice versa) must still come out as a unit row.
        return normalize(x, norm="l2", copy=False).astype(np.float32, copy=False)

    def embed_dense(self, texts: Sequence[str]) -> np.ndarray:
        """Dense float32 (n, dim) array (callers that need one; wide: dim is the vocabulary size)."""
        return np.ascontiguousarray(self.embed_sparse(texts).toarray(), dtype=np.float32)

    def embed(self, texts: Sequence[str]):
        """Dense float32 (n, dim) array, or CSR when built with ``sparse=True``."""
        return self.embed_sparse(texts) if self.sparse else self.embed_dense(texts)


def _fit_or_none(vectorizer, corpus):
    try:
        vectorizer.fit(corpus)
    except ValueError:  # "empty vocabulary"
        return None
    return vectorizer
