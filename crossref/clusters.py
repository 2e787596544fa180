"""Cross-certification themes: competences grouped by meaning, each group labelled by its top terms.

:func:`cluster_competences` works on arrays only (vectors, ids, certifications,
texts), so the pipeline, notebooks and tests call it alike.

- Up to ``max_exact`` competences: agglomerative clustering, average linkage on
  cosine distance, cut at ``distance_threshold`` (the number of groups follows
  from the data, no k to guess).
- Above: MiniBatchKMeans micro-clusters (at most ``max_exact`` of them, about 8
  competences each), then the same agglomeration on their centroids. Memory is
  O(n·d + max_exact²), never n×n.

Labels are class-based TF-IDF (c-TF-IDF, as in BERTopic): a term scores high
when it is frequent in the group and rare across groups, so the label says what
sets a group apart rather than what every référentiel repeats ("client").
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa

from crossref.tables import ID, register_schema, validate

# Chosen on the built-in corpus (105 competences, multilingual USE vectors of
# "title. statement"): 0.55 gives 11 cross-certification themes of 2-12
# competences (CRM, données, KPI, veille, prospection, négociation,
# segmentation...). 0.45 leaves half the competences alone; 0.60 merges
# relation client, CRM and données into one 25-competence cluster.
DEFAULT_DISTANCE_THRESHOLD = 0.55
DEFAULT_TERMS = 4
# Competences per micro-cluster on the bounded path.
POINTS_PER_CENTROID = 8

SCHEMA_CLUSTERS = pa.DataFrameSchema(
    {
        "cluster": pa.Column(int, pa.Check.ge(0)),
        "label": pa.Column(str),
        "size": pa.Column(int, pa.Check.ge(1)),
        "certifications": pa.Column(int, pa.Check.ge(1)),
        "competence": pa.Column(str, ID, unique=True),
        "certification": pa.Column(str),
    },
    strict=True,
    ordered=True,
)
SCHEMA_CLUSTER_SUMMARY = pa.DataFrameSchema(
    {
        "cluster": pa.Column(int, pa.Check.ge(0), unique=True),
        "label": pa.Column(str),
        "size": pa.Column(int, pa.Check.ge(1)),
        "certifications": pa.Column(int, pa.Check.ge(1)),
        "members": pa.Column(str),  # "ICD:C1.1; NEOMA:C1"
    },
    strict=True,
    ordered=True,
)
register_schema("clusters", SCHEMA_CLUSTERS)
register_schema("cluster_summary", SCHEMA_CLUSTER_SUMMARY)

CLUSTER_COLUMNS = list(SCHEMA_CLUSTERS.columns)
# Explicit dtypes: an empty frame would otherwise hold object columns the schema refuses.
_DTYPES = {"cluster": int, "label": str, "size": int, "certifications": int, "competence": str,
           "certification": str}
SUMMARY_COLUMNS = list(SCHEMA_CLUSTER_SUMMARY.columns)


# ---------------------------------------------------------------- clustering


def _agglomerate(x: np.ndarray, threshold: float) -> np.ndarray:
    """Average-linkage cosine agglomeration of unit rows; labels 0.. (arbitrary order)."""
    if len(x) < 2:  # sklearn needs two samples
        return np.zeros(len(x), dtype=np.int64)
    from sklearn.cluster import AgglomerativeClustering

    model = AgglomerativeClustering(n_clusters=None, distance_threshold=threshold,
                                    metric="cosine", linkage="average")
    return model.fit_predict(x).astype(np.int64)


def _bounded(x: np.ndarray, threshold: float, max_exact: int, seed: int) -> np.ndarray:
    """Micro-clusters by MiniBatchKMeans, then agglomeration of their centroids."""
    from sklearn.cluster import MiniBatchKMeans

    k = max(2, min(max_exact, math.ceil(len(x) / POINTS_PER_CENTROID)))
    # k-means++ seeding costs O(k² · d) per trial: random seeding keeps large k affordable,
    # and micro-clusters only need to be tight, not optimal.
    km = MiniBatchKMeans(n_clusters=k, init="k-means++" if k <= 256 else "random", n_init=1,
                         batch_size=1024, random_state=seed, max_no_improvement=10)
    micro = km.fit_predict(x)
    used = np.unique(micro)  # empty micro-clusters have no members to carry
    centroids = km.cluster_centers_[used].astype(np.float64)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids = centroids / np.where(norms > 0, norms, 1.0)
    macro = _agglomerate(centroids, threshold)
    lookup = np.zeros(k, dtype=np.int64)
    lookup[used] = macro
    return lookup[micro]


def _check(vectors: np.ndarray, ids: Sequence[str], certs: Sequence[str], texts: Sequence[str]) -> np.ndarray:
    x = np.array(vectors, dtype=np.float32)  # a copy: normalised in place below
    n = len(ids)
    if x.ndim != 2 or x.shape[0] != n:
        raise ValueError(f"vectors must be (n, d) with n = len(ids) = {n}, got shape {x.shape}")
    if len(certs) != n or len(texts) != n:
        raise ValueError(f"ids, certs and texts must have the same length ({n}, {len(certs)}, {len(texts)})")
    if not np.all(np.isfinite(x)):
        raise ValueError("vectors contain NaN or infinite values")
    if len(set(ids)) != n:
        raise ValueError("competence ids must be unique")
    return x


def cluster_competences(
    vectors: np.ndarray,
    ids: Sequence[str],
    certs: Sequence[str],
    texts: Sequence[str],
    *,
    distance_threshold: float = DEFAULT_DISTANCE_THRESHOLD,
    max_exact: int = 5000,
    seed: int = 0,
    n_terms: int = DEFAULT_TERMS,
) -> pd.DataFrame:
    """One row per competence: cluster, label, size, certifications, competence, certification.

    ``vectors`` are L2-normalised (renormalised here anyway); ``texts`` feed the
    labels only. Clusters are numbered 0.. by number of certifications, then
    size (both descending), then first member's position; rows follow cluster
    then input order. Deterministic for a given ``seed``.
    """
    x = _check(vectors, ids, certs, texts)
    n = len(ids)
    if n == 0:
        return validate(pd.DataFrame(columns=CLUSTER_COLUMNS).astype(_DTYPES), "clusters")
    if max_exact < 2:
        raise ValueError("max_exact must be >= 2")
    norms = np.linalg.norm(x, axis=1)
    ok = norms > 0
    x[ok] /= norms[ok, None]
    raw = np.full(n, -1, dtype=np.int64)
    if ok.any():
        xs = x[ok]
        raw[ok] = (_agglomerate(xs, distance_threshold) if len(xs) <= max_exact
                   else _bounded(xs, distance_threshold, max_exact, seed))
    # A text without any vector (zero row) has no direction: it stands alone.
    lone = np.nonzero(~ok)[0]
    raw[lone] = raw.max() + 1 + np.arange(len(lone))

    certs_arr = np.asarray([str(c) for c in certs], dtype=object)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(raw.tolist()):
        groups[c].append(i)
    order = sorted(groups.values(), key=lambda m: (-len(set(certs_arr[m])), -len(m), m[0]))
    cluster = np.empty(n, dtype=np.int64)
    for new, members in enumerate(order):
        cluster[members] = new
    labels = cluster_labels(texts, cluster, n_terms=n_terms)

    rows = []
    for new, members in enumerate(order):
        n_certs = len(set(certs_arr[members]))
        for i in members:
            rows.append((new, labels[new], len(members), n_certs, str(ids[i]), certs_arr[i]))
    df = pd.DataFrame(rows, columns=CLUSTER_COLUMNS)
    return validate(df.astype(_DTYPES), "clusters")


# ---------------------------------------------------------------- labels

_WORD_RE = re.compile(r"[^\W_]+")  # the lexical embedder's word pattern


def _display(surface: str) -> str:
    # Acronyms keep their case (CRM, B2B); other words are lowercased (sentence-initial capitals).
    return surface if surface.isupper() and len(surface) <= 6 else surface.lower()


# Words of fixed phrases ("en matière de", "vis-à-vis", "mise en place"): frequent
# in a small group by chance, they name no theme. Normalised forms (folded, stemmed).
LABEL_STOP_WORDS = frozenset("""
    matiere vis ad hoc terme egard regard face maniere facon fin sein titre lien
    partir niveau type forme bon mise oeuvre place
""".split())


def _merge_feminine(keys: set[str]) -> dict[str, str]:
    """Map a feminine form to its masculine when both occur (concurrentielle -> concurrentiel)."""
    merged = {}
    for k in keys:
        if k.endswith("elle") and k[:-2] in keys:
            merged[k] = k[:-2]
        elif k.endswith("e") and len(k) > 4 and k[:-1] in keys:
            merged[k] = k[:-1]
    return merged


_PHRASE_GAP = re.compile(r"^[\s'’-]*([^\W_]+[\s'’-]+)?$")  # at most one (stop) word, no punctuation


def _text_terms(text: str, key_of: dict[str, str | None], lex) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(key, surface) of the content words of ``text``, and of its two-word phrases.

    A phrase is two consecutive content words with at most one stop word between
    them and no punctuation ("tableaux de bord", "veille concurrentielle").
    """
    words: list[tuple[str, int, int]] = []
    for m in _WORD_RE.finditer(text):
        w = m.group()
        if w not in key_of:
            toks = lex.tokens(w)
            key_of[w] = toks[0] if toks and toks[0] not in LABEL_STOP_WORDS else None
        key = key_of[w]
        if key is not None:
            words.append((key, m.start(), m.end()))
    unigrams = [(k, _display(text[a:b])) for k, a, b in words]
    phrases = []
    for (k1, a1, b1), (k2, a2, b2) in zip(words, words[1:]):
        if k1 != k2 and _PHRASE_GAP.match(text[b1:a2]):
            span = " ".join(text[a1:b2].split())
            phrases.append((f"{k1} {k2}", _WORD_RE.sub(lambda m: _display(m.group()), span)))
    return unigrams, phrases


def _with_phrases(ranked: list[str], phrases: list[str], members: Counter, score: dict[str, float],
                  n_terms: int, min_members: int) -> list[str]:
    """The top ``n_terms`` words, a word replaced by a phrase it forms with another top word.

    A phrase qualifies when both its words are among the 2 × n_terms best, each
    scoring at least half the best word, and it occurs in at least
    ``min_members`` members: "tableaux de bord" and "veille concurrentielle" do,
    "client veille" (a generic word glued to a theme) does not.
    """
    floor = score[ranked[0]] / 2 if ranked else 0.0
    pool = {w for w in ranked[: 2 * n_terms] if score[w] >= floor}
    ok = [p for p in phrases if members[p] >= min_members and all(w in pool for w in p.split(" "))]
    ok.sort(key=lambda p: (-members[p], -sum(score[w] for w in p.split(" ")), p))
    top: list[str] = []
    used: set[str] = set()  # words inside a chosen phrase
    for w in ranked:
        if len(top) >= n_terms:
            break
        if w in used:
            continue
        phrase = next((p for p in ok if w in p.split(" ") and not used & set(p.split(" "))), None)
        if phrase is None:
            top.append(w)
            continue
        parts = phrase.split(" ")
        top = [t for t in top if t not in parts]  # its other word, if already chosen alone
        top.append(phrase)
        used.update(parts)
    return top


def cluster_labels(texts: Sequence[str], cluster: Sequence[int] | np.ndarray, *,
                   n_terms: int = DEFAULT_TERMS) -> dict[int, str]:
    """c-TF-IDF top terms of each cluster, ", "-joined, as written in the texts.

    score(t, c) = tf(t, c) / words(c) * log(1 + A / f(t)) (BERTopic's c-TF-IDF),
    A the mean words per cluster and f(t) the weight of t over all clusters.
    Here tf counts occurrences plus members containing t: a term shared by
    several members says more about the group than one statement repeating it,
    and occurrences still break the ties of small groups. Ties: the more
    frequent term, then alphabetical. Terms are content words; a two-word
    phrase of top words takes their place (see :func:`_with_phrases`).
    """
    from crossref.embed.lexical import LexicalEmbedder

    lex = LexicalEmbedder()  # tokens() needs no fitting
    key_of: dict[str, str | None] = {}  # surface word -> normalised key (None: not a content word)
    docs = [(c, *_text_terms(str(t), key_of, lex)) for t, c in zip(texts, np.asarray(cluster).tolist())]
    canon = _merge_feminine({k for k in key_of.values() if k is not None})

    def norm(key: str) -> str:
        return " ".join(canon.get(k, k) for k in key.split(" "))

    counts: dict[int, Counter] = defaultdict(Counter)
    occurrences: dict[int, Counter] = defaultdict(Counter)
    members: dict[int, Counter] = defaultdict(Counter)
    words: Counter = Counter()  # unigram weight per cluster: the tf denominator
    surfaces: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    sizes: Counter = Counter()
    for c, unigrams, phrases in docs:
        sizes[c] += 1
        for terms in (unigrams, phrases):
            keys = [norm(k) for k, _ in terms]
            occurrences[c].update(keys)
            members[c].update(set(keys))
            counts[c].update(keys)
            counts[c].update(set(keys))
            for key, (_, surface) in zip(keys, terms):
                surfaces[c][key][surface] += 1
        words[c] += len(unigrams) + len({norm(k) for k, _ in unigrams})
    clusters = sorted({c for c, _, _ in docs})
    total: Counter = Counter()
    for c in clusters:
        total.update({k: n for k, n in counts[c].items() if " " not in k})
    mean_words = sum(words.values()) / max(len(clusters), 1)
    labels: dict[int, str] = {}
    for c in clusters:
        if not words[c]:
            labels[c] = ""
            continue
        score = {k: (n / words[c]) * math.log(1 + mean_words / total[k])
                 for k, n in counts[c].items() if " " not in k}
        ranked = sorted(score, key=lambda k: (-score[k], -occurrences[c][k], k))
        top = _with_phrases(ranked, [k for k in counts[c] if " " in k], members[c], score, n_terms,
                            min_members=min(2, sizes[c]))
        # Most frequent spelling in the cluster (keeps accents); ties: alphabetical.
        labels[c] = ", ".join(min(surfaces[c][k].items(), key=lambda kv: (-kv[1], kv[0]))[0] for k in top)
    return labels


# ---------------------------------------------------------------- summary


def cluster_summary(df: pd.DataFrame) -> pd.DataFrame:
    """One row per cluster: cluster, label, size, certifications, members ("ICD:C1.1; NEOMA:C1")."""
    df = validate(df, "clusters")
    rows = [
        (int(c), str(g["label"].iloc[0]), len(g), int(g["certification"].nunique()),
         "; ".join(g["competence"].astype(str)))
        for c, g in df.groupby("cluster", sort=True)
    ]
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS)
    types = {c: _DTYPES[c] for c in SUMMARY_COLUMNS if c in _DTYPES}
    return validate(out.astype({**types, "members": str}), "cluster_summary")


def empty_clusters() -> pd.DataFrame:
    """The clusters table with no rows (a run that did not cluster)."""
    return cluster_competences(np.zeros((0, 1)), [], [], [])


__all__ = [
    "DEFAULT_DISTANCE_THRESHOLD", "CLUSTER_COLUMNS", "SUMMARY_COLUMNS",
    "cluster_competences", "cluster_labels", "cluster_summary", "empty_clusters",
]
