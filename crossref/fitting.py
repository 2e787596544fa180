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

from crossref.calibration import (ADAPTER_FOLDS, AdapterData, Artifact, LabelledBlock, LocoReport, cert_pair,
                                  cert_pair_name, fit_model, fit_sentence_logistic, fit_with_adapter,
                                  labelled_blocks, loco, reference_provenance)
from crossref.config import DEFAULT_DATA_DIR, Config
from crossref.errors import CrossrefError, InputError
from crossref.evaluation import GoldPair, check_known, read_gold
from crossref.corpus_views import competence_views, lexical_texts
from crossref.embeddings import embed_views, measure_channel_statistics
from crossref.pipeline import data_versions
from crossref.scoring import block_directions
from crossref.referentiels import load_corpus

GUIDE_VERSION = "1.1"


def reference_data(config: Config, gold: list[GoldPair], extra: Iterable = ()):
    """Channel statistics (built-in corpus), labelled blocks of the gold's certification pairs,
    candidates per certification, the feature names (without the adapter's), the corpus, the
    built-in corpus and what the supervised adapter reads (None when no channel suits it)."""
    from crossref.adapter import adapter_channels
    from crossref.blocks import certification_blocks

    builtin = load_corpus(str(DEFAULT_DATA_DIR))
    info_b = competence_views(builtin)
    lexical = lexical_texts(info_b)  # what lexical_reference_texts() gives, from the views at hand
    stats = measure_channel_statistics(embed_views(config, info_b, lexical), info_b.certs)
    corpus = load_corpus(config.data_dir, extra)
    check_known(gold, {c.id for cert in corpus for c in cert.competences}, " (manque-t-il --data ?)")
    info = competence_views(corpus)
    emb = embed_views(config, info, lexical)
    scope = {cert_pair(g.source, g.target) for g in gold}
    blocks = list(certification_blocks(emb, stats, config.matching, info.certs, scope, adapter=None))
    directions = {frozenset((b.cert_a, b.cert_b)): block_directions(b, config.matching.direction_margin)
                  for b in blocks}
    savoirs = {c.id for cert in corpus for c in cert.competences if c.kind == "savoir"}
    data = labelled_blocks(blocks, info.ids, directions, gold, savoirs)
    candidates = {cert.id: [c.id for c in cert.competences if c.kind != "savoir"] for cert in corpus}
    names = blocks[0].features.names if blocks else ()
    channels = adapter_channels(list(emb.vectors))
    adapter = adapter_data(emb, info, channels) if channels else None
    return stats, data, candidates, names, corpus, builtin, adapter


def adapter_data(emb, info, channels: tuple[str, ...]) -> AdapterData:
    """The stacked statement vectors, and the référentiels' own paraphrase pairs (a competence and
    its own critères, a competence and its bloc title) embedded with the same channels."""
    import numpy as np

    from crossref.adapter import paraphrase_blocks, stack_channels
    from crossref.matching import parse_channel

    has_criteria = np.array([bool(t.strip()) for t in info.views["criteria"]], dtype=bool)
    blocks, crit_rows, title_rows = paraphrase_blocks(info.certs, info.blocs, has_criteria, len(info.ids))

    def stacked(texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, sum(emb.vectors[c].shape[1] for c in channels)))
        return stack_channels({c: emb.embed(parse_channel(c)[0], texts) for c in channels}, channels)

    extra = np.concatenate([stacked([info.views["criteria"][i] for i in crit_rows]),
                            stacked([info.bloc_titles[i] for i in title_rows])])
    return AdapterData(channels, stack_channels(emb.vectors, channels), extra, tuple(blocks))


def read_references(paths: Iterable[str | Path]) -> list[GoldPair]:
    """Every file's pairs, a pair listed by several files once; files that give one pair two
    different relations are refused (which one to fit on is the user's decision, not ours)."""
    seen: dict[frozenset[str], tuple[GoldPair, Path]] = {}
    for p in paths:
        for g in read_gold(p):
            key = frozenset((g.source, g.target))
            if key in seen and seen[key][0].relation != g.relation:
                first, where = seen[key]
                raise InputError(p, f"la paire {g.source} – {g.target} est {g.relation} ici mais "
                                 f"{first.relation} dans {where.name} : les références se contredisent")
            seen.setdefault(key, (g, Path(p)))
    return [g for g, _ in seen.values()]


def calibrate(config: Config, gold_paths: list[str | Path], extra: Iterable = (),
              c: float = 0.3, adapter: bool = True) -> tuple[Artifact, LocoReport]:
    """Fit the artifact and measure the same procedure out of sample (``adapter``: with the
    supervised adapter of crossref.adapter, fitted inside every fold)."""
    gold = read_references(gold_paths)
    stats, data, candidates, names, corpus, builtin, adapter_data = reference_data(config, gold, list(extra))
    if not adapter:
        adapter_data = None
    labelled: list[LabelledBlock] = [b for b in data if b.y.any()]
    if len(labelled) < 2:
        raise CrossrefError("il faut des paires de référence sur au moins deux paires de certifications "
                            "pour mesurer hors échantillon")
    report = loco(labelled, gold, candidates, names, c, adapter_data)
    fitted_adapter = None
    if adapter_data is None:
        model = fit_model(labelled, names, c)
    else:
        model, fitted_adapter = fit_with_adapter(labelled, names, adapter_data, c)
    center, scale = fit_sentence_logistic(labelled)
    m = config.matching
    provenance = {
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "command": "crossref calibrate " + " ".join(f"--gold {Path(p).name}" for p in gold_paths),
        "reference_files": reference_provenance(gold_paths),
        "reference_pairs": len(gold),
        "certification_pairs": sorted(cert_pair_name(b.key) for b in labelled),
        "annotation_guide": GUIDE_VERSION,
        "statistics_measured_on": data_versions(builtin),
        "data_versions": data_versions(corpus),
        "regularisation_c": c,
        "adapter": None if fitted_adapter is None else {
            "channels": list(fitted_adapter.channels), "rank": int(fitted_adapter.a.shape[1]),
            "fitted_on": "the reference pairs above (multi-positive InfoNCE within each certification pair)",
            "pair_model_column": f"cross-fitted over {ADAPTER_FOLDS} groups of certification pairs"},
        "out_of_sample": report.to_dict(),
    }
    artifact = Artifact(stats, dict(m.channels), m.hubness, m.hubness_k, model, center, scale, provenance,
                        fitted_adapter)
    return artifact, report
