"""Character n-gram TF-IDF (scikit-learn's ``char_wb``) counted with numpy instead of Python loops.

scikit-learn's ``TfidfVectorizer(analyzer="char_wb")`` builds every n-gram of
every word as a Python string and looks it up in a dict: at registry scale
(hundreds of n-grams per competence, 100,000s of competences) that Python
loop is most of the lexical channel's time. Here a whole batch of texts is one
array of code points; each n-gram becomes one integer (its characters' ranks
in a fixed alphabet, 12 bits each, first character most significant, so that
integer order is string order), n-grams are validated, counted and looked up
with vectorised numpy and scipy.sparse. The IDF weighting and normalisation
are scikit-learn's own ``TfidfTransformer``, so the output equals
``TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False,
sublinear_tf=True, dtype=float32, max_features=...)`` exactly (tests compare them).

Input: "content strings" (words of word characters separated by single
spaces, every word at least two characters, as the lexical embedder makes
them). A batch whose alphabet is larger than 4,095 characters falls back to
scikit-learn's own vectoriser (same result, slower).
"""

from __future__ import annotations

import numpy as np

NGRAM_RANGE = (3, 5)
_BITS = 12
_MAX_ALPHABET = (1 << _BITS) - 1  # rank 0 means "no character" (shorter n-gram) or unknown
_SPACE, _SEP = 32, 0


def _sklearn_counter(max_features: int | None, vocabulary=None):
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer(analyzer="char_wb", ngram_range=NGRAM_RANGE, lowercase=False,
                           dtype=np.float32, max_features=max_features, vocabulary=vocabulary)


def _transformer():
    from sklearn.feature_extraction.text import TfidfTransformer

    return TfidfTransformer(norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True)


def _codepoints(contents: list[str]) -> np.ndarray:
    """One array: every text as " w1  w2 " (each word padded by spaces), texts separated by NUL."""
    big = "\0".join(" " + c.replace(" ", "  ") + " " for c in contents)
    return np.frombuffer(big.encode("utf-32-le"), dtype=np.uint32)


def _ngram_keys(arr: np.ndarray, ranks: np.ndarray, n_docs: int) -> tuple[np.ndarray, np.ndarray]:
    """(document, key) of every char_wb n-gram; ``ranks`` (uint64) is 0 for unknown characters."""
    word = (arr != _SPACE) & (arr != _SEP)
    cum = np.concatenate([[0], np.cumsum(word, dtype=np.int32)])
    bad = np.concatenate([[0], np.cumsum((ranks == 0) & (arr != _SEP), dtype=np.int32)])
    sep = arr == _SEP
    doc_of = np.concatenate([[0], np.cumsum(sep, dtype=np.int32)])[:-1]
    docs, keys = [], []
    for n in range(NGRAM_RANGE[0], NGRAM_RANGE[1] + 1):
        m = len(arr) - n + 1
        if m <= 0:
            continue
        # Contiguous slices, no gathers: position p of each array is the n-gram starting at p.
        # Inner characters are word characters; the ends are word characters or the
        # word's padding spaces (never a text separator); no unknown character.
        ok = (cum[n - 1:n - 1 + m] - cum[1:1 + m]) == n - 2
        ok &= ~sep[:m]
        ok &= ~sep[n - 1:n - 1 + m]
        ok &= bad[n:n + m] == bad[:m]
        key = ranks[:m] << np.uint64(_BITS * (NGRAM_RANGE[1] - 1))
        for j in range(1, n):
            key |= ranks[j:j + m] << np.uint64(_BITS * (NGRAM_RANGE[1] - 1 - j))
        docs.append(doc_of[:m][ok])
        keys.append(key[ok])
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    return np.concatenate(docs), np.concatenate(keys)


def _counts(docs: np.ndarray, cols: np.ndarray, n_docs: int, n_cols: int):
    """Canonical CSR of occurrence counts (sorted indices, no duplicates): one sort, no Python loop."""
    import scipy.sparse as sp

    lin = docs.astype(np.int64) * max(n_cols, 1) + cols.astype(np.int64)
    lin.sort()
    if len(lin):
        starts = np.flatnonzero(np.concatenate([[True], lin[1:] != lin[:-1]]))
        counts = np.diff(np.append(starts, len(lin))).astype(np.float32)
        lin = lin[starts]
    else:
        counts = np.zeros(0, np.float32)
    rows, indices = np.divmod(lin, max(n_cols, 1))
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_docs))])
    return sp.csr_matrix((counts, indices.astype(np.int32), indptr.astype(np.int32)), shape=(n_docs, n_cols))


class CharNgramTfidf:
    """Fitted char_wb 3-5 TF-IDF: ``vocabulary`` (sorted strings), ``idf_``, ``transform``."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray) -> None:
        self.vocabulary = list(vocabulary)
        self._tfidf = _transformer()
        self._tfidf.idf_ = np.asarray(idf, dtype=np.float32)
        alphabet = sorted({ch for term in self.vocabulary for ch in term})
        self._alphabet = np.array([ord(c) for c in alphabet], dtype=np.uint32)
        self._numpy = len(alphabet) <= _MAX_ALPHABET
        if self._numpy:
            self._keys = self._encode(self.vocabulary)
            if len(self._keys) > 1 and not np.all(self._keys[1:] > self._keys[:-1]):
                raise ValueError("character n-gram vocabulary is not sorted or has duplicates")

    @property
    def idf_(self) -> np.ndarray:
        return self._tfidf.idf_

    def get_feature_names_out(self) -> np.ndarray:
        return np.asarray(self.vocabulary, dtype=object)

    def _ranks(self, arr: np.ndarray) -> np.ndarray:
        """Rank (1-based) of each code point in the alphabet; 0 when it is not in it."""
        if not len(self._alphabet):
            return np.zeros(len(arr), np.uint64)
        pos = np.minimum(np.searchsorted(self._alphabet, arr), len(self._alphabet) - 1)
        return np.where(self._alphabet[pos] == arr, pos + 1, 0).astype(np.uint64)

    def _encode(self, terms: list[str]) -> np.ndarray:
        rank = {chr(c): i + 1 for i, c in enumerate(self._alphabet.tolist())}
        shifts = [_BITS * (NGRAM_RANGE[1] - 1 - j) for j in range(NGRAM_RANGE[1])]
        return np.array([sum(rank[ch] << sh for ch, sh in zip(term, shifts)) for term in terms], dtype=np.uint64)

    def counts(self, contents: list[str]):
        """Raw n-gram counts (float32 CSR, columns = vocabulary)."""
        if not self._numpy:
            return _sklearn_counter(None, {t: i for i, t in enumerate(self.vocabulary)}).transform(contents)
        arr = _codepoints(contents)
        docs, keys = _ngram_keys(arr, self._ranks(arr), len(contents))
        pos = np.searchsorted(self._keys, keys)
        pos_c = np.minimum(pos, max(len(self._keys) - 1, 0))
        hit = (self._keys[pos_c] == keys) if len(self._keys) else np.zeros(len(keys), bool)
        return _counts(docs[hit], pos_c[hit], len(contents), len(self.vocabulary))

    def transform(self, contents: list[str]):
        return self._tfidf.transform(self.counts(contents), copy=False)


def fit(contents: list[str], max_features: int | None = None) -> CharNgramTfidf | None:
    """The fitted model, or None when the texts have no n-gram (an empty vocabulary)."""
    if not contents:
        return None
    arr = _codepoints(contents)
    alphabet = np.unique(arr)
    alphabet_chars = alphabet[alphabet != _SEP]
    if len(alphabet_chars) > _MAX_ALPHABET:
        counter = _sklearn_counter(max_features)
        try:
            x = counter.fit_transform(contents)
        except ValueError:
            return None
        vocab = counter.get_feature_names_out().tolist()
    else:
        ranks = np.searchsorted(alphabet_chars, arr).astype(np.uint64) + np.uint64(1)
        ranks[arr == _SEP] = 0
        docs, keys = _ngram_keys(arr, ranks, len(contents))
        if not len(keys):
            return None
        uniq = np.unique(keys)
        x = _counts(docs, np.searchsorted(uniq, keys), len(contents), len(uniq))
        if max_features is not None and len(uniq) > max_features:
            # scikit-learn's _limit_features, on the same alphabetically ordered columns.
            tfs = np.asarray(x.sum(axis=0)).ravel()
            keep = np.zeros(len(uniq), bool)
            keep[(-tfs).argsort()[:max_features]] = True
            kept = np.where(keep)[0]
            x, uniq = x[:, kept], uniq[kept]
        vocab = _decode(uniq, alphabet_chars)
    model = CharNgramTfidf(vocab, np.zeros(len(vocab), np.float32))
    model._tfidf.fit(x)
    return model


def _decode(keys: np.ndarray, alphabet: np.ndarray) -> list[str]:
    chars = [chr(c) for c in alphabet.tolist()]
    slots = [((keys >> np.uint64(_BITS * (NGRAM_RANGE[1] - 1 - j))) & np.uint64(_MAX_ALPHABET)).astype(np.int64)
             for j in range(NGRAM_RANGE[1])]
    out = []
    for row in zip(*(s.tolist() for s in slots)):
        out.append("".join(chars[r - 1] for r in row if r))
    return out
