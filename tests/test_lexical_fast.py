"""The fast lexical channel: same vectors as scikit-learn's vectorisers, sparse API, saved vocabulary."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import TfidfVectorizer

from crossref.embed import charngrams
from crossref.embed.lexical import LexicalEmbedder, fast_fold, fold

ROOT = Path(__file__).resolve().parent.parent


def corpus_texts() -> list[str]:
    from crossref.referentiels import load_corpus

    texts = []
    for cert in load_corpus(ROOT / "data", [ROOT / "data" / "extra"]):
        texts += [f"{c.title} {c.statement}" for c in cert.competences]
        texts += [cr.text for cr in cert.criteria]
    return texts


def sklearn_char(contents, max_features=None):
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), lowercase=False, sublinear_tf=True,
                           dtype=np.float32, max_features=max_features).fit(contents)


def test_char_ngrams_equal_sklearn_on_the_corpus() -> None:
    lex = LexicalEmbedder()
    contents = [lex.content(t) for t in corpus_texts()]
    for max_features in (None, 2000):
        ref = sklearn_char(contents, max_features)
        ours = charngrams.fit(contents, max_features)
        assert ours.vocabulary == ref.get_feature_names_out().tolist()
        np.testing.assert_array_equal(ours.idf_, ref.idf_)
        unseen = [lex.content(t) for t in ["Négocier un contrat de prestation", "ωμέγα zzzz", ""]]
        for texts in (contents, unseen):
            diff = ours.transform(texts) - ref.transform(texts)
            assert diff.nnz == 0 or abs(diff).max() == 0


words = st.text(alphabet=st.sampled_from(list("abcdeéèçœxyz0ω")), min_size=2, max_size=9)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(words, max_size=6).map(" ".join), min_size=1, max_size=12),
       st.sampled_from([None, 5, 40]))
def test_char_ngrams_equal_sklearn_on_random_contents(contents: list[str], max_features) -> None:
    try:
        ref = sklearn_char(contents, max_features)
    except ValueError:  # no n-gram at all
        assert charngrams.fit(contents, max_features) is None
        return
    ours = charngrams.fit(contents, max_features)
    assert ours.vocabulary == ref.get_feature_names_out().tolist()
    np.testing.assert_array_equal(ours.idf_, ref.idf_)
    diff = ours.transform(contents) - ref.transform(contents)
    assert diff.nnz == 0 or abs(diff).max() == 0


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_fast_fold_is_fold(text: str) -> None:
    assert fast_fold(text) == fold(text.lower())


def test_tokens_are_the_per_word_normalisation() -> None:
    """The fast path (fold the whole text, then split) keeps the per-word keys of terms()."""
    lex = LexicalEmbedder()
    for text in corpus_texts():
        assert lex.tokens(text) == [k for k, _ in lex.terms(text)], text


def test_sparse_and_dense_agree_and_no_dense_in_sparse_path(monkeypatch) -> None:
    import scipy.sparse as sp

    texts = corpus_texts()[:200]
    lex = LexicalEmbedder().fit(texts)
    dense = lex.embed(texts)
    assert isinstance(dense, np.ndarray) and dense.dtype == np.float32
    np.testing.assert_array_equal(lex.embed_dense(texts), dense)

    def refuse(*_a, **_k):
        raise AssertionError("the sparse path must never densify")

    monkeypatch.setattr(sp.csr_matrix, "toarray", refuse)
    monkeypatch.setattr(sp.csr_matrix, "todense", refuse)
    x = lex.embed_sparse(texts)
    assert sp.issparse(x) and x.dtype == np.float32 and x.shape == dense.shape
    monkeypatch.undo()
    np.testing.assert_array_equal(x.toarray(), dense)


def test_saved_vocabulary_round_trip(tmp_path: Path) -> None:
    texts = corpus_texts()
    lex = LexicalEmbedder(char_max_features=3000).fit(texts[:300])
    data = lex.to_dict()
    json.dumps(data)  # JSON-safe
    again = LexicalEmbedder.from_dict(json.loads(json.dumps(data)))
    assert again.name == lex.name and again.dim == lex.dim
    probe = texts[300:360]
    assert abs(again.embed_sparse(probe) - lex.embed_sparse(probe)).max() == 0
    lex.save(tmp_path / "lexical.json")
    loaded = LexicalEmbedder.load(tmp_path / "lexical.json", sparse=True)
    assert loaded.name == lex.name and loaded.sparse
    # A saved embedder is fixed: embedding new texts never refits it.
    loaded.embed(["un texte entièrement nouveau sur la logistique portuaire"])
    assert loaded.name == lex.name
    with pytest.raises(ValueError, match="format"):
        LexicalEmbedder.from_dict({"format": "other"})
    bad = dict(data, fingerprint="0" * 64)
    with pytest.raises(ValueError, match="fingerprint"):
        LexicalEmbedder.from_dict(bad)
    with pytest.raises(ValueError, match="not fitted"):
        LexicalEmbedder().to_dict()
