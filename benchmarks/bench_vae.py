"""VAE analysis time: a fresh process, its models loaded once (as the dashboard does in the
background when the page opens), then the first analysis of each written narrative.

    .venv/bin/python benchmarks/bench_vae.py

Target: first analysis <= 3 s warm (models loaded, embedding cache warm).
"""

from __future__ import annotations

import time
from pathlib import Path

from crossref.passerelles import vae
from crossref.pipeline import run

NARRATIVES = sorted(Path("tests/data/vae").glob("*.txt"))


def main() -> None:
    t = time.perf_counter()
    results = run()
    print(f"résultats chargés : {time.perf_counter() - t:.2f} s")
    t = time.perf_counter()
    results._scorer.warm()
    print(f"modèles VAE chargés (en arrière-plan dans le tableau de bord) : {time.perf_counter() - t:.2f} s")
    # A candidate's sentences are new texts: the on-disk embedding cache must not answer for them.
    # Same models, same competence vectors, no disk cache for the sentences.
    from crossref.embed.cache import CachedEmbedder

    embedders = results._scorer.state()[1].embedders
    for backend, emb in list(embedders.items()):
        if isinstance(emb, CachedEmbedder):
            embedders[backend] = emb.inner
    for path in NARRATIVES:
        text = path.read_text(encoding="utf-8")
        t = time.perf_counter()
        r = vae(results, text, "ICD")
        dt = time.perf_counter() - t
        print(f"{path.name:28} première analyse {dt:.2f} s ({len(r['sentences'])} phrases, "
              f"{len(r['evidenced'])} compétences attestées) {'OK' if dt <= 3 else 'AU-DELÀ DE 3 s'}")


if __name__ == "__main__":
    main()
