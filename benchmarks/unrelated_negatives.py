"""Can the pair model learn to propose nothing between unrelated certifications? An experiment.

Every reference pair comes from two related certifications (relation client, commerce), so the
pair model, whose features are mostly relative to their certification pair, proposes the best
pairs of almost any certification pair (README, "The pairs job beyond a few certifications").
Here, the 40 benchmark fields of ``benchmarks/data/fields/`` become 40 certifications (6 blocs x
10 statements) and are split in two halves by name order: certification pairs of the reference
certifications with the first half's fields are added to training as *unrelated* (every pair
labelled 0: a weak label, some pairs are transferable), weighted ``--negative-weight`` times the
reference certification pairs in total; the second half is never fitted on.

Printed for each variant:
* leave-one-certification-pair-out figures on the reference pairs (as ``crossref evaluate
  --loco``: adapter and pair model fitted inside each fold; thresholds on reference blocks only);
* proposals per competence of the reference certifications against the held-out fields (and of
  those fields against each other), with the model fitted on all reference pairs.

Variants: ``base`` (no unrelated pairs), ``neg`` (unrelated pairs, same features), ``neg+abs``
(unrelated pairs and three absolute features: the adapter's raw cosine, the bloc pair's mean
best-match similarity not centred, and the certification pair's).

    .venv/bin/python benchmarks/unrelated_negatives.py [--negative-weight 1.0]

Measured on 2026-12-02 (about 25 minutes on 2 cores), negative weight 1.0:
    base     Hits@1 0.734 MRR 0.830 F1 0.538 | 2.92 per reference competence, 1.04 per field competence
    neg      Hits@1 0.726 MRR 0.823 F1 0.500 | 1.48, 1.66
    neg+abs  Hits@1 0.731 MRR 0.829 F1 0.447 | 1.07, 1.56
Measured again on 2026-12-03 with the 24 certification pairs (titres professionnels added; ~19 min
for the two variants; the proposal counts now include the titres professionnels' competences):
    base     Hits@1 0.762 MRR 0.851 F1 0.576 | 5.38 per reference competence (over 20 fields), 0.68 per
             field competence and other field
    neg      Hits@1 0.754 MRR 0.846 F1 0.555 | 1.36, 0.54
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.reference_sets import data_paths, gold_paths  # noqa: E402


def field_certifications():
    from crossref.model import Bloc, Certification, Competence

    out = []
    for n, path in enumerate(sorted((ROOT / "benchmarks" / "data" / "fields").glob("*.json"))):
        data = json.loads(path.read_text(encoding="utf-8"))
        cid = f"FIELD{n:02d}"
        cert = Certification(id=cid, title=data["domain"], blocs=[])
        for b, bloc in enumerate(data["blocs"]):
            bid = f"{cid}:B{b + 1}"
            cert.blocs.append(Bloc(id=bid, certification=cid, code=f"B{b + 1}", title=bloc["title"]))
            for m, statement in enumerate(bloc["competences"]):
                cert.competences.append(Competence(id=f"{cid}:C{b + 1}.{m + 1}", certification=cid,
                                                   code=f"C{b + 1}.{m + 1}", title="", statement=statement,
                                                   bloc_id=bid))
        out.append(cert)
    return out


def absolute_columns(block, weights: dict[str, float]) -> np.ndarray:
    """(n_a * n_b, 2): the bloc pair's and the certification pair's mean best-match similarity on
    the weighted standardised channels (absolute: not centred, no hubness correction)."""
    from crossref.features import bloc_match

    f = block.features
    zc = [n for n in f.names if n.startswith("z:")]
    w = np.array([weights[n[2:]] for n in zc])
    h = np.tensordot(f.values[..., [f.names.index(n) for n in zc]], w / w.sum(), axes=([2], [0]))
    level = 0.5 * (h.max(axis=1).mean() + h.max(axis=0).mean())
    bloc = bloc_match(h, block.bloc_a, block.bloc_b) + level  # bloc_match is centred on the block's mean
    return np.stack([bloc.ravel(), np.full(h.size, level)], axis=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--negative-weight", type=float, default=1.0)
    ap.add_argument("--variants", default="base,neg,neg+abs")
    args = ap.parse_args()

    from crossref.blocks import certification_blocks
    from crossref.calibration import (LabelledBlock, _best_threshold, _bootstrap, cert_pair, fit_block_adapter,
                                      held_out_predictions, labelled_blocks)
    from crossref.config import DEFAULT_DATA_DIR, Config
    from crossref.corpus_views import competence_views, lexical_texts
    from crossref.embeddings import embed_views, measure_channel_statistics
    from crossref.features import adapted
    from crossref.fitting import adapter_data, read_references
    from crossref.adapter import adapter_channels, stack_channels
    from crossref.model import Corpus
    from crossref.referentiels import load_corpus
    from crossref.scoring import block_directions, sparse_wide

    t0 = time.perf_counter()
    config = Config()
    gold = read_references(gold_paths())
    builtin = load_corpus(str(DEFAULT_DATA_DIR))
    info_b = competence_views(builtin)
    lexical = lexical_texts(info_b)
    stats = measure_channel_statistics(embed_views(config, info_b, lexical), info_b.certs)
    real = load_corpus(config.data_dir, data_paths())
    fields = field_certifications()
    train_fields = {c.id for n, c in enumerate(fields) if n % 2 == 0}
    corpus = Corpus([*real, *fields])
    info = competence_views(corpus)
    emb = embed_views(config, info, lexical)
    real_ids = [c.id for c in real]
    scope = {cert_pair(g.source, g.target) for g in gold}
    held = [c.id for c in fields if c.id not in train_fields]
    wanted = set(scope)
    wanted |= {frozenset((r, f)) for r in real_ids for f in [c.id for c in fields]}
    wanted |= {frozenset((a, b)) for i, a in enumerate(held) for b in held[i + 1:]}
    blocks = list(certification_blocks(sparse_wide(emb), stats, config.matching, info.certs, wanted, adapter=None))
    for b in blocks:  # the bloc indices, for the absolute bloc feature
        object.__setattr__(b, "bloc_a", emb.bloc_index[b.ia])
        object.__setattr__(b, "bloc_b", emb.bloc_index[b.ib])
    directions = {frozenset((b.cert_a, b.cert_b)): block_directions(b, config.matching.direction_margin)
                  for b in blocks}
    savoirs = {c.id for cert in real for c in cert.competences if c.kind == "savoir"}
    labelled = labelled_blocks(blocks, info.ids, directions, gold, savoirs)
    absolute = {lb.key: absolute_columns(b, config.matching.channels) for lb, b in zip(labelled, blocks)}
    names = blocks[0].features.names
    ref = [b for b in labelled if b.key in scope and b.y.any()]
    neg = [b for b in labelled if b.key not in scope and b.key & train_fields and b.key & set(real_ids)]
    test_unrel = [b for b in labelled if b.key not in scope and not (b.key & train_fields)]
    channels = adapter_channels(list(emb.vectors))
    # The adapter reads every competence, but its paraphrase pairs are the reference référentiels'
    # only, as in `crossref calibrate` (their extra rows moved after the fields' competences).
    info_r = competence_views(real)
    own = adapter_data(embed_views(config, info_r, lexical), info_r, channels)
    n_real, delta = len(info_r.ids), len(info.ids) - len(info_r.ids)

    def shift(ix):
        return np.where(ix >= n_real, ix + delta, ix)

    adata = replace(own, x=stack_channels(emb.vectors, channels),
                    paraphrases=tuple(replace(pb, rows=shift(pb.rows), cols=shift(pb.cols)) for pb in own.paraphrases))
    candidates = {cert.id: [c.id for c in cert.competences if c.kind != "savoir"] for cert in real}
    print(f"{len(ref)} reference certification pairs, {len(neg)} unrelated ones for training, "
          f"{len(test_unrel)} held-out unrelated ones; set-up {time.perf_counter() - t0:.0f} s", flush=True)

    def with_columns(b: LabelledBlock, adapter, use_abs: bool) -> LabelledBlock:
        f = adapted(adata.x, adapter.a, adapter.b)
        raw = f[b.rows] @ f[b.cols].T
        s = raw.std()
        cols = [((raw - raw.mean()) / (s if s > 1e-9 else 1.0)).reshape(-1, 1)]
        if use_abs:
            cols += [raw.reshape(-1, 1), absolute[b.key]]
        return replace(b, x=np.concatenate([b.x, *cols], axis=1))

    def fit(train_ref, train_neg, use_abs, weight):
        """Adapter on the reference blocks; pair model on cross-fitted reference columns and the
        unrelated blocks (total weight ``weight`` x the reference blocks'); threshold on reference."""
        groups = np.arange(len(train_ref)) % 3
        cf = list(train_ref)
        for g in range(3):
            ad = fit_block_adapter(adata, [b for b, k in zip(train_ref, groups) if k != g])
            for n in np.nonzero(groups == g)[0]:
                cf[n] = with_columns(train_ref[n], ad, use_abs)
        adapter = fit_block_adapter(adata, train_ref)
        negs = [with_columns(b, adapter, use_abs) for b in train_neg] if weight > 0 else []
        x = np.concatenate([b.x for b in cf + negs])
        y = np.concatenate([b.y for b in cf + negs])
        sw = np.concatenate([np.full(len(b.y), 1.0 / len(b.y)) for b in cf]
                            + [np.full(len(b.y), weight * len(cf) / len(negs) / len(b.y)) for b in negs])
        model = _weighted_model(x, y, sw, names, use_abs)
        pr = np.concatenate([model.predict(b.x) for b in cf])
        threshold = _best_threshold(pr, np.concatenate([b.y for b in cf]))
        return model, adapter, threshold

    for variant in args.variants.split(","):
        use_abs = variant == "neg+abs"
        weight = 0.0 if variant == "base" else args.negative_weight
        t = time.perf_counter()
        scores: dict = {}
        predicted: list = []
        for test in ref:
            train = [b for b in ref if b.key != test.key]
            model, adapter, threshold = fit(train, neg, use_abs, weight)
            p = model.predict(with_columns(test, adapter, use_abs).x)
            fold_scores, fold_pred = held_out_predictions(test, p, p >= threshold)
            scores.update(fold_scores)
            predicted += fold_pred
        gold_in = [g for g in gold if cert_pair(g.source, g.target) in {b.key for b in ref}]
        m = _bootstrap(scores, candidates, predicted, gold_in)
        model, adapter, threshold = fit(ref, neg, use_abs, weight)
        per_real, per_field = [], []
        for b in test_unrel:
            p = model.predict(with_columns(b, adapter, use_abs).x).reshape(len(b.rows), len(b.cols))
            hits = p >= threshold
            n_rows = len(b.rows)
            (per_real if b.key & set(real_ids) else per_field).append((hits.sum(), n_rows, len(b.cols)))
        real_rate = sum(h for h, _, _ in per_real) / len(real_ids) / len(held)  # per real cert and field
        comps = sum(len(c.competences) for c in real)
        field_rate = (2 * sum(h for h, _, _ in per_field) / (len(held) * 60) / max(len(held) - 1, 1)
                      if per_field else 0.0)
        print(f"{variant:8} LOCO Hits@1 {m['hits_at_1'].value:.3f} MRR {m['mrr'].value:.3f} "
              f"[{m['mrr'].low:.3f}-{m['mrr'].high:.3f}] P {m['precision'].value:.3f} R {m['recall'].value:.3f} "
              f"F1 {m['f1'].value:.3f} [{m['f1'].low:.3f}-{m['f1'].high:.3f}] | held-out unrelated: "
              f"{sum(h for h, _, _ in per_real) / comps:.2f} proposals per reference competence over "
              f"{len(held)} fields ({real_rate:.2f} per certification x field), "
              f"{field_rate:.2f} per field competence and other field | {time.perf_counter() - t:.0f} s", flush=True)
    return 0


def _weighted_model(x, y, sw, names, use_abs):
    """crossref.pair_model.fit_pair_model with explicit sample weights (its groups weigh certification pairs equally)."""
    from sklearn.linear_model import LogisticRegression

    from crossref.pair_model import PairModel

    names = tuple(names) + ("adapter",) + (("adapter_raw", "bloc_level", "cert_level") if use_abs else ())
    mean, std = x.mean(axis=0), x.std(axis=0)
    std[std < 1e-9] = 1.0
    lr = LogisticRegression(C=0.3, max_iter=3000)
    lr.fit((x - mean) / std, y.astype(int), sample_weight=sw * len(sw) / sw.sum())
    return PairModel(names, tuple(mean.tolist()), tuple(std.tolist()), tuple(lr.coef_[0].tolist()),
                     float(lr.intercept_[0]))


if __name__ == "__main__":
    sys.exit(main())
