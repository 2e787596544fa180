"""The sharded embedding store: keyed lookups, incremental shards, checksums, legacy import."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from test_embed import CountingEmbedder, fake_vectors  # noqa: E402

from crossref.embed import CachedEmbedder  # noqa: E402
from crossref.embed.cache import EmbeddingStore, text_key  # noqa: E402


def test_incremental_shards_and_keyed_lookup(tmp_path: Path) -> None:
    inner = CountingEmbedder()
    cache = CachedEmbedder(inner, tmp_path)
    cache.embed([f"a{i}" for i in range(10)])
    cache.embed([f"a{i}" for i in range(5)] + [f"b{i}" for i in range(7)])
    assert inner.embedded[10:] == [f"b{i}" for i in range(7)]  # only the new texts
    shards = sorted(cache.store.dir.glob("shard-*.f32"))
    assert len(shards) == 2 and len(cache.store) == 17
    # A lookup reads only the shards of the keys asked for: the other shard may even be gone.
    first = min(shards, key=lambda p: p.stat().st_size)  # the 7-row shard
    first.unlink()
    found, vecs = EmbeddingStore(tmp_path, "fake:v1").get([text_key(f"a{i}") for i in range(3)])
    assert found.all()
    np.testing.assert_array_equal(vecs, fake_vectors([f"a{i}" for i in range(3)]))


def test_damaged_shard_is_detected_and_rebuilt(tmp_path: Path, caplog) -> None:
    texts = [f"énoncé {i}" for i in range(20)]
    cache = CachedEmbedder(CountingEmbedder(), tmp_path)
    cache.embed(texts)
    (shard,) = cache.store.dir.glob("shard-*.f32")
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01  # one bit of one vector
    shard.write_bytes(bytes(data))
    inner = CountingEmbedder()
    with caplog.at_level(logging.WARNING, logger="crossref.embed.cache"):
        out = CachedEmbedder(inner, tmp_path).embed(texts)
    np.testing.assert_array_equal(out, fake_vectors(texts))
    assert "corrupt" in caplog.text and len(inner.embedded) == 20
    again = CountingEmbedder()
    CachedEmbedder(again, tmp_path).embed(texts)
    assert again.calls == 0


def test_legacy_npz_cache_is_imported(tmp_path: Path) -> None:
    texts = ["x", "y", "z"]
    cache = CachedEmbedder(CountingEmbedder(), tmp_path)
    legacy = cache.store.dir.with_suffix(".npz")
    np.savez(legacy, name=np.array("fake:v1"), keys=np.array([text_key(t) for t in texts], dtype="S64"),
             vecs=fake_vectors(texts))
    inner = CountingEmbedder()
    out = CachedEmbedder(inner, tmp_path).embed(texts + ["w"])
    assert inner.embedded == ["w"]
    np.testing.assert_array_equal(out, fake_vectors(texts + ["w"]))
    assert legacy.exists()  # left in place: nothing is deleted
