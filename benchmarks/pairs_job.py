"""The pairs job at registry-like sizes: corpora recombined from the built-in référentiels' clauses,
and one measured run per process (``bench_registry.py --only pairs`` drives it).

    .venv/bin/python benchmarks/pairs_job.py run CORPUS.pkl --mode after|before [--before-rev REV]
    .venv/bin/python benchmarks/pairs_job.py recall CORPUS.pkl [--k 10,20] [--vectors weighted,main]

``run`` prints one JSON line: warm ``compute`` time (views, embeddings from the cache, scoring,
clusters), the scoring stage's own time, rows, the process's peak RSS and the peak RSS growth
during scoring. ``before`` scores with the scoring module of ``--before-rev`` (read from git):
every pair of every block, one dict and one explanation string per pair.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SOURCES = ["data/extra"]  # with the built-in référentiels: the clauses recombined


def _maxrss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def recombined_corpus(n_competences: int, seed: int = 0):
    """A corpus of about ``n_competences`` competences in certifications of 25-45 competences (3-6
    blocs): each competence keeps the core clause of a real competence (built-in référentiels and
    data/extra) and adds 0-2 clauses drawn from any other; half keep the source's title. So
    certifications overlap partially, as real ones do, and every clause is real French."""
    from crossref.config import Config
    from crossref.corpus_views import competence_views
    from crossref.model import Corpus
    from crossref.referentiels import load_corpus

    base = load_corpus(Config().data_dir, [str(ROOT / s) for s in SOURCES])
    views = competence_views(base)
    comps = [c for cert in base for c in cert.competences]
    pool = [cl for cls in views.clauses for cl in cls]
    rng = np.random.default_rng(seed)
    certs = []
    for cert, split in _skeletons(rng, n_competences, "SYN", "Certification synthétique",
                                  lambda cid, b: f"Bloc {b + 1} de {cid}"):
        for bloc, positions in zip(cert.blocs, split):
            for m in positions:
                src = int(rng.integers(len(comps)))
                extra = [pool[int(i)] for i in rng.integers(len(pool), size=int(rng.integers(0, 3)))]
                statement = "; ".join([views.clauses[src][0], *extra])
                title = comps[src].title if rng.random() < 0.5 else ""
                _add(cert, bloc, m, title, statement)
        certs.append(cert)
    return Corpus(certs)


FIELDS = ROOT / "benchmarks" / "data" / "fields"


def field_pools() -> list[tuple[str, list[tuple[str, str]]]]:
    """One pool per professional field: (bloc title, competence statement) pairs. The fields of
    ``benchmarks/data/fields/`` (40 fields, 6 blocs x 10 statements each, written for this benchmark:
    see its README), and the built-in and data/extra référentiels as one more field (relation client,
    commerce)."""
    from crossref.config import Config
    from crossref.referentiels import load_corpus

    pools = []
    for path in sorted(FIELDS.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        pools.append((data["domain"], [(b["title"], s) for b in data["blocs"] for s in b["competences"]]))
    base = load_corpus(Config().data_dir, [str(ROOT / s) for s in SOURCES])
    titles = {b.id: b.title for cert in base for b in cert.blocs}
    pools.append(("Relation client et commerce (référentiels réels)",
                  [(titles.get(c.bloc_id, ""), c.statement) for cert in base for c in cert.competences
                   if c.statement]))
    return pools


def _first_clause(statement: str) -> str:
    head = statement.split(";")[0].split(", ")[0].strip().rstrip(".")
    return head if len(head.split()) >= 4 else statement.rstrip(".")


def fields_corpus(n_competences: int, seed: int = 2):
    """A corpus of about ``n_competences`` competences spread over many professional fields, as a
    portfolio or the registry is: each certification (25-45 competences, 3-6 blocs) belongs to one
    field drawn at random; its competences are distinct statements of that field (grouped into blocs
    as the field's blocs are, each bloc titled after its field bloc), 40 % of them followed by the
    first clause of another statement of the field. Two certifications of one field overlap a lot,
    of two fields little, so the proposals per competence stay in the range real référentiels show
    instead of growing with the corpus. The corpora of one seed are nested: the first certifications
    of a larger one are those of a smaller one."""
    from crossref.model import Corpus

    pools = field_pools()
    rng = np.random.default_rng(seed)
    certs = []
    for cert, split in _skeletons(rng, n_competences, "FLD", "Certification du champ", lambda cid, b: ""):
        domain, pool = pools[int(rng.integers(len(pools)))]
        cert.title = f"{domain} ({cert.id})"  # the field, for the benchmark's cross-field counts
        size = sum(len(x) for x in split)
        picks = np.sort(rng.choice(len(pool), size=min(size, len(pool)), replace=False))
        if size > len(pool):
            picks = np.sort(np.concatenate([picks, rng.choice(len(pool), size=size - len(pool))]))
        extras = rng.random(size) < 0.4
        others = rng.integers(len(pool), size=size)
        for bloc, positions in zip(cert.blocs, split):
            names = [pool[int(picks[m])][0] for m in positions]
            bloc.title = max(set(names), key=names.count) if names else bloc.title
            for m in positions:
                statement = pool[int(picks[m])][1].rstrip(".")
                if extras[m] and others[m] != picks[m]:
                    statement = f"{statement} ; {_first_clause(pool[int(others[m])][1])}"
                _add(cert, bloc, m, "", statement)
        certs.append(cert)
    return Corpus(certs)


def _skeletons(rng, n_competences: int, prefix: str, label: str, bloc_title):
    """Empty certifications of 25-45 competences (3-6 blocs) until ``n_competences``: yields each
    with the competence positions of each bloc; the caller fills it before the next is drawn."""
    from crossref.model import Bloc, Certification

    total = n = 0
    while total < n_competences:
        size = min(int(rng.integers(25, 46)), n_competences - total)
        cid = f"{prefix}{n:04d}"
        n_blocs = int(rng.integers(3, 7)) if size >= 6 else 1
        blocs = [Bloc(id=f"{cid}:B{b + 1}", certification=cid, code=f"B{b + 1}", title=bloc_title(cid, b))
                 for b in range(n_blocs)]
        yield Certification(id=cid, title=f"{label} {n}", blocs=blocs), np.array_split(np.arange(size), n_blocs)
        total += size
        n += 1


def _add(cert, bloc, m: int, title: str, statement: str) -> None:
    from crossref.model import Competence

    cert.competences.append(Competence(id=f"{cert.id}:C{m + 1}", certification=cert.id, code=f"C{m + 1}",
                                       title=title, statement=statement, bloc_id=bloc.id))


def drawn_corpus(source, n_competences: int, seed: int = 1):
    """A corpus of about ``n_competences`` competences whose texts (title, statement) and bloc titles
    are all drawn from ``source`` (a :func:`recombined_corpus`), each certification drawing without
    replacement: every text is already in the embedding cache, so a large corpus costs no model
    time; each text appears in about n / len(source) certifications."""
    from crossref.model import Corpus

    comps = [c for cert in source for c in cert.competences]
    titles = [b.title for cert in source for b in cert.blocs]
    rng = np.random.default_rng(seed)
    certs = []
    for cert, split in _skeletons(rng, n_competences, "DRW", "Certification tirée",
                                  lambda cid, b: titles[int(rng.integers(len(titles)))]):
        picks = rng.choice(len(comps), size=sum(len(x) for x in split), replace=False)
        for bloc, positions in zip(cert.blocs, split):
            for m in positions:
                src = comps[int(picks[m])]
                _add(cert, bloc, m, src.title, src.statement)
        certs.append(cert)
    return Corpus(certs)


def _old_scoring(rev: str):
    text = subprocess.run(["git", "show", f"{rev}:crossref/scoring.py"], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout
    path = Path(f"/tmp/crossref_scoring_{rev}.py")
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(f"scoring_{rev}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(corpus_path: Path, mode: str, before_rev: str) -> dict:
    import crossref.scoring
    from crossref.config import Config
    from crossref.pipeline import compute

    corpus = pickle.loads(corpus_path.read_bytes())
    config = Config()
    inner = _old_scoring(before_rev).score_pairs if mode == "before" else crossref.scoring.score_pairs
    timing: dict = {}

    def timed(*args, **kwargs):
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        t = time.perf_counter()
        out = inner(*args, **kwargs)
        timing["score_s"] = time.perf_counter() - t
        timing["score_peak_growth_gib"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 2**20
        return out

    crossref.scoring.score_pairs = timed
    t = time.perf_counter()
    results = compute(config, corpus)
    total = time.perf_counter() - t
    pairs = results.pairs
    # Every scored certification pair keeps at least its candidates' rows: the blocks scored.
    blocks = len(set(zip(np.minimum(pairs["source_cert"], pairs["target_cert"]),
                         np.maximum(pairs["source_cert"], pairs["target_cert"]))))
    return {"mode": mode, "competences": sum(len(c.competences) for c in corpus), "certifications": len(corpus.ids),
            "compute_s": total, **timing, "rows": len(pairs), "proposed": int((pairs["relation"] != "none").sum()),
            "blocks": blocks, "peak_rss_gib": _maxrss_gib()}


def recall(corpus_path: Path, ks: list[int], how: list[str]) -> dict:
    """Of the pairs exhaustive scoring proposes: the share whose certification pair holds a candidate
    (what the two-stage table keeps) and the share that are candidates themselves, per k and vectors."""
    from crossref.blocks import certification_blocks
    from crossref.config import Config
    from crossref.corpus_views import competence_views, lexical_reference_texts
    from crossref.embeddings import embed_views
    from crossref.matching import block_ranks, relations
    from crossref.pair_candidates import candidate_pairs
    from crossref.pipeline import load_configured_artifact
    from crossref.neighbours import one_blas_thread
    from crossref.scoring import block_directions, sparse_wide

    corpus = pickle.loads(corpus_path.read_bytes()) if corpus_path.suffix == ".pkl" else None
    config = Config()
    if corpus is None:
        from crossref.referentiels import load_corpus

        corpus = load_corpus(config.data_dir, [str(corpus_path)] if str(corpus_path) != "builtin" else [])
    artifact = load_configured_artifact(config)
    views = competence_views(corpus)
    emb = embed_views(config, views, lexical_reference_texts())
    model, mcfg = artifact.model, config.matching
    proposed_i, proposed_j = [], []
    with one_blas_thread():  # as the scoring stage: exhaustive, every certification pair
        for block in certification_blocks(sparse_wide(emb), artifact.channels, mcfg, views.certs,
                                          adapter=artifact.adapter):
            score = model.predict(block.features.values)
            rr, cr = block_ranks(score)
            rel = relations(score, rr, cr, block_directions(block, mcfg.direction_margin), model.partial_threshold,
                            model.equivalent_threshold)
            x, y = np.nonzero(rel != "none")
            proposed_i.append(block.ia[x])
            proposed_j.append(block.ib[y])
    pi, pj = np.concatenate(proposed_i), np.concatenate(proposed_j)
    cert_code = np.unique(views.certs, return_inverse=True)[1]
    n_certs = int(cert_code.max()) + 1

    def block_key(i, j):
        a, b = np.minimum(cert_code[i], cert_code[j]), np.maximum(cert_code[i], cert_code[j])
        return a * n_certs + b

    out = {"competences": len(views.ids), "certifications": n_certs, "proposed": len(pi), "runs": []}
    n = len(views.ids)
    for h in how:
        for k in ks:
            t = time.perf_counter()
            ci, cj = candidate_pairs(emb, artifact.channels, views.certs, k, h)
            dt = time.perf_counter() - t
            pairs = set((np.minimum(ci, cj) * n + np.maximum(ci, cj)).tolist())
            blocks = set(block_key(ci, cj).tolist())
            in_block = np.isin(block_key(pi, pj), list(blocks))
            is_cand = np.isin(np.minimum(pi, pj) * n + np.maximum(pi, pj), list(pairs))
            out["runs"].append({"vectors": h, "k": k, "candidate_s": round(dt, 3), "blocks_scored": len(blocks),
                                "block_recall": float(in_block.mean()) if len(pi) else 1.0,
                                "missed": int((~in_block).sum()), "pair_recall": float(is_cand.mean()) if len(pi) else 1.0})
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=["make", "run", "recall"])
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--size", type=int, default=500)
    ap.add_argument("--draw-from", type=Path, help="make: draw the texts from this corpus (drawn_corpus)")
    ap.add_argument("--kind", choices=["recombined", "fields"], default="recombined",
                    help="make: recombined built-in clauses (one field, dense) or many fields (fields_corpus)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--mode", choices=["before", "after"], default="after")
    ap.add_argument("--before-rev", default="9c1ce6a")
    ap.add_argument("--k", default="5,10,20")
    ap.add_argument("--vectors", default="weighted,main")
    args = ap.parse_args()
    if args.what == "make":
        if args.draw_from:
            corpus = drawn_corpus(pickle.loads(args.draw_from.read_bytes()), args.size, args.seed)
        elif args.kind == "fields":
            corpus = fields_corpus(args.size, args.seed)
        else:
            corpus = recombined_corpus(args.size, args.seed)
        args.corpus.write_bytes(pickle.dumps(corpus))
        return 0
    if args.what == "run":
        print(json.dumps(run(args.corpus, args.mode, args.before_rev)))
    else:
        print(json.dumps(recall(args.corpus, [int(k) for k in args.k.split(",")], args.vectors.split(","))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
