"""`crossref calibrate`: fit the calibration artifact on reference alignments, measured out of sample.

The standardisation statistics of every channel are measured on the built-in
référentiels (fixed, so adding a certification never moves them); the pair
model and its thresholds are fitted on every certification pair the
reference alignments cover, and the same procedure is measured
leave-one-certification-pair-out before the final fit.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable

from crossref.calibration import (Artifact, LabelledBlock, LocoReport, cert_pair, fit_model,
                                  fit_sentence_logistic, labelled_blocks, loco, reference_provenance)
from crossref.config import DEFAULT_DATA_DIR, Config
from crossref.errors import CrossrefError
from crossref.evaluation import GoldPair, read_gold
from crossref.corpus_views import competence_views, lexical_texts
from crossref.embeddings import embed_views, measure_channel_statistics
from crossref.pipeline import data_versions
from crossref.scoring import block_directions
from crossref.referentiels import load_corpus

GUIDE_VERSION = "1.1"


def reference_data(config: Config, gold: list[GoldPair], extra: Iterable = ()):
    """Channel statistics (built-in corpus), labelled blocks of the gold's certification pairs,
    candidates per certification, the feature names, the corpus and the built-in corpus."""
    from crossref.blocks import certification_blocks

    builtin = load_corpus(str(DEFAULT_DATA_DIR))
    info_b = competence_views(builtin)
    lexical = lexical_texts(info_b)  # what lexical_reference_texts() gives, from the views at hand
    stats = measure_channel_statistics(embed_views(config, info_b, lexical), info_b.certs)
    corpus = load_corpus(config.data_dir, extra)
    known = {c.id for cert in corpus for c in cert.competences}
    unknown = sorted({i for g in gold for i in (g.source, g.target)} - known)
    if unknown:
        raise CrossrefError("l'alignement de référence nomme des compétences inconnues (manque-t-il --data ?) : "
                            + ", ".join(unknown[:5]))
    info = competence_views(corpus)
    emb = embed_views(config, info, lexical)
    scope = {cert_pair(g.source, g.target) for g in gold}
    blocks = list(certification_blocks(emb, stats, config.matching, info.certs, scope))
    directions = {frozenset((b.cert_a, b.cert_b)): block_directions(b, config.matching.direction_margin)
                  for b in blocks}
    savoirs = {c.id for cert in corpus for c in cert.competences if c.kind == "savoir"}
    data = labelled_blocks(blocks, info.ids, directions, gold, savoirs)
    candidates = {cert.id: [c.id for c in cert.competences if c.kind != "savoir"] for cert in corpus}
    names = blocks[0].features.names if blocks else ()
    return stats, data, candidates, names, corpus, builtin


def read_references(paths: Iterable[str | Path]) -> list[GoldPair]:
    seen: dict[frozenset[str], GoldPair] = {}
    for p in paths:
        for g in read_gold(p):
            seen.setdefault(frozenset((g.source, g.target)), g)
    return list(seen.values())


def calibrate(config: Config, gold_paths: list[str | Path], extra: Iterable = (),
              c: float = 0.3) -> tuple[Artifact, LocoReport]:
    gold = read_references(gold_paths)
    stats, data, candidates, names, corpus, builtin = reference_data(config, gold, list(extra))
    labelled: list[LabelledBlock] = [b for b in data if b.y.any()]
    if len(labelled) < 2:
        raise CrossrefError("il faut des paires de référence sur au moins deux paires de certifications "
                            "pour mesurer hors échantillon")
    report = loco(labelled, gold, candidates, names, c)
    model = fit_model(labelled, names, c)
    center, scale = fit_sentence_logistic(labelled)
    m = config.matching
    provenance = {
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "crossref calibrate " + " ".join(f"--gold {Path(p).name}" for p in gold_paths),
        "reference_files": reference_provenance(gold_paths),
        "reference_pairs": len(gold),
        "certification_pairs": sorted("↔".join(sorted(b.key)) for b in labelled),
        "annotation_guide": GUIDE_VERSION,
        "statistics_measured_on": data_versions(builtin),
        "data_versions": data_versions(corpus),
        "regularisation_c": c,
        "out_of_sample": report.to_dict(),
    }
    artifact = Artifact(stats, dict(m.channels), m.hubness, m.hubness_k, model, center, scale, provenance)
    return artifact, report
