"""Passerelles and VAE: what a holder of certification A (or of some of its blocs),
or a candidate describing their experience, already has of certification B.

Rules (explicit, thresholds in ``PasserelleConfig``):

* bloc coverage = mean over the target bloc's competences of their credit
  (see crossref.coverage): ``equivalent_credit`` for an equivalent match,
  ``partial_credit`` for a partial one, 0 without;
* bloc status: coverage ≥ ``full_coverage`` -> "dispense totale possible";
  coverage ≥ ``partial_coverage`` -> "dispense partielle"; else "non couvert"
  (coverage rounded to 6 decimals first, so float noise never flips a boundary);
* "missing" = the bloc's competences without an equivalent match: still to
  evidence; "partial" = those of them with a partial match (evidence to complete);
* overall status: "dispense totale possible" when every bloc is; otherwise
  "dispense partielle" when some bloc is at least partially covered; otherwise
  "non couvert". An indivisible target (RS) is granted only as a whole: when
  not every bloc is fully covered its overall status is "non couvert", with an
  explanation; its bloc statuses are still shown;
* an indivisible source (RS) is held as a whole: a selection of its blocs is refused.

VAE: a competence is evidenced by a sentence scoring ≥ ``vae_evidence_threshold``;
from ``vae_equivalent_threshold`` the evidence is "equivalent", below it "partial";
the competence takes the relation of its best sentence; up to 2 sentences are kept.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa

from crossref.config import PasserelleConfig
from crossref.coverage import best_matches, frame, get_certification, passerelle_config
from crossref.errors import CrossrefError
from crossref.labels import STATUS_FULL, STATUS_NONE, STATUS_PARTIAL, de, fr_percent
from crossref.model import Certification, Corpus
from crossref.tables import ID, register_schema, validate

STATUSES = [STATUS_FULL, STATUS_PARTIAL, STATUS_NONE]

VAE_SOURCE = "VAE"
VAE_SENTENCES_KEPT = 2  # evidencing sentences shown per competence

PASSERELLE_SCHEMA = pa.DataFrameSchema(
    {
        "from_cert": pa.Column(str),             # "VAE" for a VAE
        "to_cert": pa.Column(str),
        "blocs_held": pa.Column(str),            # "; "-separated, empty for a VAE
        "bloc": pa.Column(str, ID),              # target bloc
        "title": pa.Column(str),
        "competences": pa.Column(int, pa.Check.ge(0)),
        "coverage": pa.Column(float, [pa.Check.ge(0.0), pa.Check.le(1.0)]),
        "status": pa.Column(str, pa.Check.isin(STATUSES)),
        "matched_count": pa.Column(int, pa.Check.ge(0)),  # target competences with a match
        "matched": pa.Column(str),               # "; "-separated "SRC → TGT (score, relation)"
        "partial": pa.Column(str),               # "; "-separated competence ids
        "missing": pa.Column(str),
        "overall_status": pa.Column(str, pa.Check.isin(STATUSES)),
    },
    strict=True,
    ordered=True,
    unique=["from_cert", "to_cert", "bloc"],
)
register_schema("passerelle", PASSERELLE_SCHEMA)


# ---------------------------------------------------------------- rules
def _round(x: float | np.floating) -> float:
    return round(float(x), 6)


def bloc_status(coverage: float, config: Any = None) -> str:
    """The status rule applied to one coverage value."""
    p = passerelle_config(config)
    cov = _round(coverage)
    if cov >= p.full_coverage:
        return STATUS_FULL
    if cov >= p.partial_coverage:
        return STATUS_PARTIAL
    return STATUS_NONE


def overall_status(blocs: list[dict], target: Certification, config: Any = None) -> tuple[str, str]:
    """Status of the whole target certification from its bloc entries, with a French explanation."""
    p = passerelle_config(config)
    n = len(blocs)
    full = sum(b["status"] == STATUS_FULL for b in blocs)
    part = sum(b["status"] == STATUS_PARTIAL for b in blocs)
    if n and full == n:
        return STATUS_FULL, f"Les {n} blocs {de(target.id)} sont couverts : dispense totale possible."
    if target.indivisible:
        return STATUS_NONE, (
            f"{target.id} est une certification indivisible : elle ne s'obtient qu'en entier, "
            f"sans dispense partielle ; {n - full} bloc(s) sur {n} ne sont pas entièrement couverts."
        )
    if full or part:
        return STATUS_PARTIAL, (
            f"{full} bloc(s) sur {n} en dispense totale possible, {part} en dispense partielle."
        )
    return STATUS_NONE, (
        f"Aucun bloc {de(target.id)} n'atteint le seuil de dispense partielle "
        f"({fr_percent(p.partial_coverage)} de couverture)."
    )


def _bloc_entries(cert: Certification, credit: dict[str, float], relation: dict[str, str],
                  matched: dict[str, list[dict]], config: PasserelleConfig) -> list[dict]:
    out = []
    for b in cert.blocs:
        comps = cert.competences_of(b.id)
        # A bloc without competences cannot be evidenced: coverage 0.
        cov = _round(np.mean([credit.get(c.id, 0.0) for c in comps])) if comps else 0.0
        out.append({
            "bloc": b.id,
            "title": b.title,
            "competences": len(comps),
            "coverage": cov,
            "status": bloc_status(cov, config),
            "matched": [m for c in comps for m in matched.get(c.id, [])],
            "partial": [c.id for c in comps if relation.get(c.id) == "partial"],
            "missing": [c.id for c in comps if relation.get(c.id) != "equivalent"],
        })
    return out


def _overall_coverage(cert: Certification, credit: dict[str, float]) -> float:
    return _round(np.mean([credit.get(c.id, 0.0) for c in cert.competences])) if cert.competences else 0.0


# ---------------------------------------------------------------- passerelle
def held_blocs(cert: Certification, blocs: str | Iterable[str] | None) -> list[str]:
    """Normalise a bloc selection of ``cert`` ("B1" or "A:B1", list or comma-separated); None = all."""
    all_ids = [b.id for b in cert.blocs]
    if blocs is None:
        return all_ids
    items = blocs.split(",") if isinstance(blocs, str) else list(blocs)
    wanted: list[str] = []
    for raw in items:
        b = str(raw).strip()
        if not b:
            continue
        b = b if ":" in b else f"{cert.id}:{b}"
        if b not in all_ids:
            raise CrossrefError(
                f"bloc {b!r} inconnu dans {cert.id} (blocs {de(cert.id)} : {', '.join(all_ids)})"
            )
        if b not in wanted:
            wanted.append(b)
    if not wanted:
        raise CrossrefError(f"aucun bloc {de(cert.id)} indiqué dans la sélection")
    if cert.indivisible and set(wanted) != set(all_ids):
        raise CrossrefError(
            f"{cert.id} est une certification indivisible : elle se détient en entier, "
            "pas bloc par bloc (sélection de blocs refusée)"
        )
    return [b for b in all_ids if b in wanted]


def _pair_item(r: Any) -> dict:
    return {
        "source": r["source"],
        "target": r["target"],
        "score": round(float(r["score"]), 4),
        "relation": r["relation"],
        "credit": float(r["credit"]),
        "direction": r["direction"],
        "review_status": r["status"],
        "source_phrase": r["source_phrase"],
        "target_phrase": r["target_phrase"],
        "shared_terms": r["shared_terms"],
        "explanation": r["explanation"],
    }


def passerelle(pairs: pd.DataFrame, corpus: Corpus, from_cert: str, to_cert: str,
               config: Any = None, blocs: str | Iterable[str] | None = None) -> dict:
    """What a holder of ``from_cert`` (or of ``blocs`` of it) already has of ``to_cert``, bloc by bloc.

    Returns the JSON-ready dict {"from", "to", "blocs": [{"bloc", "title", "coverage",
    "status", "matched", "missing", ...}], ...}; see the module docstring for the rules.
    """
    p = passerelle_config(config)
    src = get_certification(corpus, from_cert)
    tgt = get_certification(corpus, to_cert)
    if src.id == tgt.id:
        raise CrossrefError(f"la certification source et la cible sont la même : {src.id}")
    held = held_blocs(src, blocs)
    held_set = set(held)
    source_ids = [c.id for c in src.competences if c.bloc_id in held_set]
    best = best_matches(pairs, source_ids, [c.id for c in tgt.competences], p)
    credit = {r["target"]: float(r["credit"]) for _, r in best.iterrows()}
    relation = {r["target"]: r["relation"] for _, r in best.iterrows()}
    matched = {r["target"]: [_pair_item(r)] for _, r in best.iterrows()}
    entries = _bloc_entries(tgt, credit, relation, matched, p)
    status, explanation = overall_status(entries, tgt, p)
    return {
        "from": src.id,
        "to": tgt.id,
        "from_title": src.title,
        "to_title": tgt.title,
        "blocs_held": held,
        "whole_certification": len(held) == len(src.blocs),
        "from_indivisible": src.indivisible,
        "indivisible": tgt.indivisible,
        "coverage": _overall_coverage(tgt, credit),
        "status": status,
        "explanation": explanation,
        "rules": asdict(p),
        "blocs": entries,
    }


def all_passerelles(pairs: pd.DataFrame, corpus: Corpus, config: Any = None) -> list[dict]:
    """The passerelle of every ordered pair of different certifications, source held as a whole."""
    return [passerelle(pairs, corpus, s.id, t.id, config) for s in corpus for t in corpus if s.id != t.id]


def _format_matched(m: dict) -> str:
    if "sentence" in m:
        text = m["sentence"] if len(m["sentence"]) <= 60 else m["sentence"][:59] + "…"
        return f"« {text} » → {m['target']} ({m['score']:.2f}, {m['relation']})"
    return f"{m['source']} → {m['target']} ({m['score']:.2f}, {m['relation']})"


def still_to_evidence(bloc: dict) -> list[str]:
    """The competences of a target bloc with no match at all (« à justifier »). ``bloc["missing"]``
    also holds the partly covered ones (not fully covered); shown in French, a competence has one
    state only: « partiellement couverte » or « à justifier », never both (issue 11)."""
    partial = set(bloc.get("partial", []))
    return [c for c in bloc["missing"] if c not in partial]


def passerelle_table(result: dict) -> pd.DataFrame:
    """Flat table (schema "passerelle") of a passerelle or VAE dict: one row per target bloc."""
    rows = [{
        "from_cert": result["from"],
        "to_cert": result["to"],
        "blocs_held": "; ".join(result.get("blocs_held", [])),
        "bloc": b["bloc"],
        "title": b["title"],
        "competences": int(b.get("competences", 0)),
        "coverage": float(b["coverage"]),
        "status": b["status"],
        "matched_count": len({m["target"] for m in b["matched"]}),
        "matched": "; ".join(_format_matched(m) for m in b["matched"]),
        "partial": "; ".join(b.get("partial", [])),
        "missing": "; ".join(b["missing"]),
        "overall_status": result["status"],
    } for b in result["blocs"]]
    return validate(frame(rows, PASSERELLE_SCHEMA), "passerelle")


# ---------------------------------------------------------------- sentences
# A line starting with one of these opens a new item (list of tasks, CV style).
_BULLET_LINE = re.compile(r"^(?:[•▪►◦●‣·*]\s*|[-–—]\s+|\d{1,2}[.)]\s+|[a-z]\)\s+)")
_INLINE_SPLIT = re.compile(r"\s*(?:;|[•▪►◦●‣])\s*")
# End of sentence: terminator(s), closing quotes, space, then something that starts a sentence.
_BOUNDARY = re.compile(r"([.!?…]+)([»”\"')\]]*)\s+(?=[«“\"(\[]?\s*[A-ZÀ-ÖØ-ÞŒ0-9])")
_WORD_BEFORE = re.compile(r"([\wÀ-ÿ°'’-]+)$")
# "Word." that does not end a sentence even before a capital ("M. Dupont", "cf. Annexe").
# "etc." is not here: before a capital it usually does end the sentence.
ABBREVIATIONS = frozenset({
    "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "pr", "me", "st", "ste", "cf", "ex", "p", "pp",
    "env", "n°", "no", "vol", "chap", "art", "éd", "av", "apr", "fig", "resp", "tél", "tel", "bd",
    "ca", "nb", "op", "cit", "ibid", "approx", "dépt", "dept", "réf", "ref", "coll", "hab", "min",
    "max", "sté", "ets", "éts", "adj", "dir", "inc", "cie",
})
_LONG_LINE = 50  # a line this long not ending a sentence is taken as hard-wrapped


def _logical_units(text: str) -> list[str]:
    """Join hard-wrapped lines, keep list items and paragraphs apart."""
    units: list[str] = []
    current: str | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        line = raw.strip()
        if not line:
            if current is not None:
                units.append(current)
            current = None
            continue
        bullet = _BULLET_LINE.match(line)
        if bullet:
            if current is not None:
                units.append(current)
            current = line[bullet.end():]
            continue
        continues = current is not None and (
            line[0].islower()
            or current.endswith((",", "(", "-", "'", "’", "«"))
            or (len(current) >= _LONG_LINE and not current.endswith((".", "!", "?", "…", ":", ";")))
        )
        if continues:
            current = f"{current} {line}"
        else:
            if current is not None:
                units.append(current)
            current = line
    if current is not None:
        units.append(current)
    return units


def _split_unit(unit: str) -> list[str]:
    out, start = [], 0
    for m in _BOUNDARY.finditer(unit):
        if m.group(1) == ".":
            word = _WORD_BEFORE.search(unit[: m.start()])
            w = word.group(1).lower() if word else ""
            if w in ABBREVIATIONS or (len(w) == 1 and w.isalpha()) or w.endswith("-c"):  # J.-C.
                continue
        end = m.end(2)
        out.append(unit[start:end])
        start = m.end()
    out.append(unit[start:])
    return out


def split_sentences(text: str) -> list[str]:
    """French free text -> sentences (also list items and ";"-separated clauses), in order.

    Splits on line-starting bullets, blank lines, ";", inline bullets and
    sentence ends; abbreviations ("M.", "cf.", initials) and decimals don't end
    a sentence; hard-wrapped lines are joined back. Fragments without a letter are dropped.
    """
    sentences = []
    for unit in _logical_units(text):
        for clause in _INLINE_SPLIT.split(unit):
            for s in _split_unit(clause):
                s = re.sub(r"\s+", " ", s).strip()
                if any(ch.isalpha() for ch in s):
                    sentences.append(s)
    return sentences


# ---------------------------------------------------------------- VAE
VAE_NEAR_MISS = 0.20   # below the evidence threshold, at least this: « à la limite », shown to the advisor
VAE_COMBINATION_GAIN = 0.10  # two adjacent sentences count together only when they beat each alone by this
VAE_STATES = ("equivalent", "partial", "near", "none")


def evidence_units(n_sentences: int) -> list[tuple[int, ...]]:
    """What is scored: every sentence, then every two adjacent sentences together
    (an activity is often told over two sentences: « J'analyse les ventes. Je propose des actions. »)."""
    return [(i,) for i in range(n_sentences)] + [(i, i + 1) for i in range(n_sentences - 1)]


def unit_text(sentences: Sequence[str], unit: Sequence[int]) -> str:
    return " ".join(sentences[i] for i in unit)


def _unit_scores(col: np.ndarray, units: list[tuple[int, ...]], threshold: float) -> np.ndarray:
    """Scores of the units for one competence. A combination of sentences counts only where each
    of its sentences alone is at least a near miss for the competence (each tells part of the
    activity), none is evidence alone, and together they beat each by VAE_COMBINATION_GAIN;
    otherwise it adds words, not evidence: left out (-1)."""
    single = {u[0]: col[k] for k, u in enumerate(units) if len(u) == 1}
    out = col.copy()
    for k, u in enumerate(units):
        if len(u) > 1:
            alone = [single.get(i, 0.0) for i in u]
            if (min(alone) < VAE_NEAR_MISS or max(alone) >= threshold
                    or col[k] < max(alone) + VAE_COMBINATION_GAIN):
                out[k] = -1.0
    return out


# What a candidate did: a first-person verb, or an item opening on an infinitive, a participle
# or an action noun (« Négociation des contrats… »). A job title or a context line
# (« Assistante marketing dans une PME ») shares words with the référentiel but proves nothing.
_FIRST_PERSON = re.compile(r"(?:^|[\s(«\"])(?:je|j['’]|nous|on|m['’]|me)(?=[\s\w])", re.IGNORECASE)
_ACTION_OPENING = re.compile(
    r"^\W*(?:\w+(?:er|ir|oir|dre|tre|uire|é|ée|és|ées|tion|sion|ment|age|yse)|veille|suivi|gestion)\b",
    re.IGNORECASE)


def states_an_activity(text: str) -> bool:
    """True when the text says what someone did (see above), not only who they were."""
    return bool(_FIRST_PERSON.search(text) or _ACTION_OPENING.match(text.strip()))


def vae_state(score: float, config: Any = None) -> str:
    """equivalent / partial (evidenced), near (« à la limite »: worth a look), none."""
    p = passerelle_config(config)
    if score >= p.vae_equivalent_threshold:
        return "equivalent"
    if score >= p.vae_evidence_threshold:
        return "partial"
    return "near" if score >= VAE_NEAR_MISS else "none"


def vae_from_similarity(sentences: Sequence[str], similarity: Any, corpus: Corpus, to_cert: str,
                        config: Any = None, competence_ids: Sequence[str] | None = None,
                        units: Sequence[Sequence[int]] | None = None,
                        decisions: pd.DataFrame | None = None) -> dict:
    """VAE result from a (n_units × n_competences) similarity matrix; pure.

    ``units`` are the scored pieces of text (default: each sentence alone; see
    :func:`evidence_units`), columns follow ``competence_ids`` (default: the
    target's competences in référentiel order); a target competence absent from
    them scores 0. Every target competence gets its best unit and score
    (``competences``), so near misses show; ``decisions`` (the advisor's, see
    :mod:`crossref.vae`) override the model for the competences they name.
    """
    p = passerelle_config(config)
    tgt = get_certification(corpus, to_cert)
    ids = list(competence_ids) if competence_ids is not None else [c.id for c in tgt.competences]
    scored: list[tuple[int, ...]] = ([tuple(int(i) for i in u) for u in units] if units is not None
                                     else [(i,) for i in range(len(sentences))])
    units = scored
    if any(not u or min(u) < 0 or max(u) >= len(sentences) for u in units):
        raise ValueError("units must name sentences by their index")
    own = {c.id for c in tgt.competences}
    stray = [i for i in ids if i not in own]
    if stray:
        raise ValueError(f"competences not in {tgt.id}: {', '.join(stray)}")
    sim = np.asarray(similarity, dtype=float)
    if sim.size == 0:
        sim = sim.reshape(len(units), len(ids)) if not (units and ids) else sim
    if sim.shape != (len(units), len(ids)):
        raise ValueError(f"similarity must be {len(units)} × {len(ids)}, got shape {sim.shape}")
    sim = np.clip(np.nan_to_num(sim, nan=0.0), 0.0, 1.0)
    column = {cid: j for j, cid in enumerate(ids)}
    decided = _latest_vae_decisions(decisions)

    credit_of = {"equivalent": p.equivalent_credit, "partial": p.partial_credit}
    credit: dict[str, float] = {}
    relation: dict[str, str] = {}
    matched: dict[str, list[dict]] = {}
    evidenced: list[dict[str, Any]] = []
    every: list[dict[str, Any]] = []
    for comp in tgt.competences:
        cid = comp.id
        col = _unit_scores(sim[:, column[cid]], scored, p.vae_evidence_threshold) if cid in column else np.zeros(len(units))
        ranked = sorted((k for k in range(len(units)) if col[k] >= 0), key=lambda k: (-col[k], units[k]))
        best_k = ranked[0] if ranked else None
        best = float(col[best_k]) if best_k is not None else 0.0
        kept: list[int] = []
        for k in ranked:
            if col[k] < p.vae_evidence_threshold or len(kept) == VAE_SENTENCES_KEPT:
                break
            if not any(set(units[k]) & set(units[q]) for q in kept):  # distinct evidence, not the same sentence twice
                kept.append(k)
        model_state = vae_state(best, p)
        entry: dict[str, Any] = {
            "competence": cid, "title": comp.title, "bloc": comp.bloc_id,
            "score": round(best, 4), "model_state": model_state, "state": model_state,
            "best": unit_text(sentences, units[best_k]) if best_k is not None else "",
            "best_sentences": [i + 1 for i in units[best_k]] if best_k is not None else [],
            "decision": None,
        }
        evidence: list[dict[str, Any]] = [{"text": unit_text(sentences, units[k]), "sentences": [i + 1 for i in units[k]],
                     "score": round(float(col[k]), 4), "relation": vae_state(float(col[k]), p), "by": "modèle"}
                    for k in kept]
        d = decided.get(cid)
        if d is not None:
            entry["decision"] = d
            if d["action"] == "reject":
                entry["state"], evidence = "none", []
            else:
                entry["state"] = d["relation"]
                text = d["evidence"] or entry["best"]
                evidence = [{"text": text, "sentences": [] if d["evidence"] else entry["best_sentences"],
                             "score": entry["score"], "relation": d["relation"], "by": d["reviewer"]}]
        entry["evidence"] = evidence
        every.append(entry)
        if entry["state"] in credit_of:
            relation[cid] = entry["state"]
            credit[cid] = credit_of[entry["state"]]
            matched[cid] = [{
                "sentence": e["text"], "sentence_index": (e["sentences"][0] - 1) if e["sentences"] else -1,
                "sentences": e["sentences"], "target": cid, "score": e["score"], "relation": e["relation"],
                "by": e["by"],
            } for e in evidence]
            evidenced.append({
                "competence": cid, "title": comp.title, "bloc": comp.bloc_id, "score": entry["score"],
                "relation": entry["state"],
                "sentences": [{"index": (e["sentences"][0] - 1) if e["sentences"] else -1, "text": e["text"],
                               "score": e["score"]} for e in evidence],
            })
    entries = _bloc_entries(tgt, credit, relation, matched, p)
    status, explanation = overall_status(entries, tgt, p)
    return {
        "from": VAE_SOURCE,
        "to": tgt.id,
        "to_title": tgt.title,
        "blocs_held": [],
        "indivisible": tgt.indivisible,
        "coverage": _overall_coverage(tgt, credit),
        "status": status,
        "explanation": explanation,
        "rules": {**asdict(p), "vae_near_miss": VAE_NEAR_MISS, "vae_combination_gain": VAE_COMBINATION_GAIN},
        "sentences": list(sentences),
        "evidenced": evidenced,
        "competences": every,
        "blocs": entries,
    }


def _latest_vae_decisions(decisions: pd.DataFrame | None) -> dict[str, dict]:
    if decisions is None or len(decisions) == 0:
        return {}
    return {r["competence"]: r for r in decisions.to_dict("records")}  # oldest first: the last one wins


# A description of experience is a few pages at most; longer ones are refused, not embedded.
MAX_VAE_CHARS = 50_000


def vae_scores(results: Any, text: str, to_cert: str, config: Any = None) -> dict:
    """The scoring step of a VAE, apart so that the advisor's decisions can be applied again
    without scoring again: sentences, units, competence ids and the (units × competences) scores."""
    if len(text) > MAX_VAE_CHARS:
        raise CrossrefError(f"texte de VAE trop long ({len(text):,} caractères, maximum {MAX_VAE_CHARS:,})"
                            .replace(",", "\u202f"))
    sentences = split_sentences(text)
    if not sentences:
        raise CrossrefError("texte de VAE vide : aucune phrase à analyser")
    tgt = get_certification(results.corpus, to_cert)
    ids = [c.id for c in tgt.competences]
    units = evidence_units(len(sentences))
    sim = np.asarray(results.similarity_to_competences([unit_text(sentences, u) for u in units], ids), dtype=float)
    # A sentence that states no activity is at most « à la limite » (shown, never evidence),
    # and lends its words to no combination.
    p = passerelle_config(config if config is not None else results.config)
    activity = [states_an_activity(s) for s in sentences]
    for k, u in enumerate(units):
        if len(u) == 1 and not activity[u[0]]:
            sim[k] = np.minimum(sim[k], max(p.vae_evidence_threshold - 0.01, 0.0))
        elif len(u) > 1 and not all(activity[i] for i in u):
            sim[k] = 0.0
    return {"to": tgt.id, "sentences": sentences, "units": units, "ids": ids, "similarity": sim}


def vae(results: Any, text: str, to_cert: str, config: Any = None, decisions: pd.DataFrame | None = None) -> dict:
    """VAE of a free-text experience against ``to_cert``, scored with the run's own scorer:
    every sentence and every two adjacent sentences against every competence of the target."""
    scores = vae_scores(results, text, to_cert, config)
    return vae_from_similarity(scores["sentences"], scores["similarity"], results.corpus, to_cert,
                               config if config is not None else results.config, scores["ids"], scores["units"],
                               decisions)
