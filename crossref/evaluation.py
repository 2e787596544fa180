"""Measure a matcher against a reference alignment (pairs of competence ids).

Ranking (Hits@k, MRR): for each competence a with at least one gold match in
certification B, rank B's competences by score; gold pairs are symmetric so
both directions count. Pair classification (precision, recall, F1): predicted
equivalent+partial pairs against gold pairs, unordered, restricted to the
certification pairs the gold covers.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

from crossref.errors import InputError
from crossref.model import split_id

GOLD_RELATIONS = {"equivalent", "partial"}
# What a French officer may write in the relation column (folded: lowercase, no accents).
_RELATION_NAMES = {"equivalent": "equivalent", "equivalente": "equivalent",
                   "partial": "partial", "partiel": "partial", "partielle": "partial"}
_GOLD_COLUMNS = ("source", "target", "relation")


@dataclass(frozen=True)
class GoldPair:
    source: str
    target: str
    relation: str
    # Where the pair was read (file, physical line): errors about it name the place.
    path: str = field(default="", compare=False)
    line: int = field(default=0, compare=False)


def _fold(text: str) -> str:
    from crossref.embed.lexical import fast_fold

    return fast_fold(text.strip())


def read_gold(path: str | Path) -> list[GoldPair]:
    """A reference alignment: ``source,target,relation`` (any column order, extra columns ignored,
    headers in any case, « , », « ; » or tab separated), relation ``equivalent``/``équivalente`` or
    ``partial``/``partielle``; refused with file, line and column when malformed."""
    path = Path(path)
    from crossref.parsing import read_text
    from crossref.parsing.reading import csv_delimiter

    text = read_text(path)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=csv_delimiter(text))
    try:
        raw = [f.strip() for f in reader.fieldnames or []]
    except csv.Error as exc:
        raise InputError(path, f"CSV mal formé ({exc})", line=1) from None
    fieldnames = [_fold(f) for f in raw]
    missing = [c for c in _GOLD_COLUMNS if c not in fieldnames]
    if missing:
        raise InputError(
            path,
            f"colonne(s) manquante(s) : {', '.join(missing)} (colonnes attendues : source,target,relation ; "
            f"trouvé : {','.join(raw)})",
            line=1, column=missing[0],
        )
    reader.fieldnames = fieldnames
    pairs = []
    lines: dict[frozenset[str], tuple[int, str]] = {}
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise InputError(path, f"CSV mal formé ({exc})", line=reader.line_num) from None
        line = reader.line_num  # physical line where the row ends (blank lines are skipped)
        written = (row.get("relation") or "").strip()
        rel = _RELATION_NAMES.get(_fold(written), "")
        if not rel:
            raise InputError(path, f"relation inconnue {written!r} (equivalent / équivalente ou "
                             "partial / partielle)", line=line, column="relation")
        ids = []
        for col in ("source", "target"):
            value = (row.get(col) or "").strip()
            try:
                split_id(value)
            except ValueError:
                raise InputError(
                    path, f"identifiant de compétence invalide {value!r} (forme attendue CERT:CODE, ex. ICD:C1.1)",
                    line=line, column=col,
                ) from None
            ids.append(value)
        if split_id(ids[0])[0] == split_id(ids[1])[0]:
            raise InputError(path, f"paire d'une même certification ({split_id(ids[0])[0]}) : une référence "
                             "relie deux certifications différentes", line=line, column="target")
        key = frozenset(ids)
        if key in lines:  # either orientation: an edit mistake, or two contradicting answers
            raise InputError(path, f"paire {ids[0]} – {ids[1]} en double (déjà ligne {lines[key][0]}, "
                             f"{lines[key][1]})", line=line, column="source")
        lines[key] = (line, rel)
        pairs.append(GoldPair(ids[0], ids[1], rel, str(path), line))
    if not pairs:
        raise InputError(path, "aucune paire de référence")
    return pairs


def check_known(gold: Iterable[GoldPair], known: set[str], hint: str = "") -> None:
    """Refuse reference pairs naming competences the corpus lacks, at the first such pair's file
    and line (up to five unknown ids listed)."""
    from crossref.errors import CrossrefError

    gold = list(gold)
    unknown = sorted({i for g in gold for i in (g.source, g.target)} - known)
    if not unknown:
        return
    message = f"l'alignement de référence nomme des compétences inconnues{hint} : {', '.join(unknown[:5])}"
    if len(unknown) > 5:
        message += f" (et {len(unknown) - 5} autres)"
    first = next(g for g in gold if g.source not in known or g.target not in known)
    if not first.path:
        raise CrossrefError(message)
    raise InputError(first.path, message, line=first.line or None,
                     column="source" if first.source not in known else "target")


@dataclass(frozen=True)
class Metrics:
    hits_at_1: float
    hits_at_3: float
    mrr: float
    queries: int
    precision: float
    recall: float
    f1: float
    predicted: int
    gold: int
    true_positives: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _cert(item_id: str) -> str:
    return split_id(item_id)[0]


def gold_links(gold: Iterable[GoldPair]) -> dict[tuple[str, str], set[str]]:
    """(competence a, certification B) -> a's gold matches in B, both directions."""
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    for g in gold:
        links[(g.source, _cert(g.target))].add(g.target)
        links[(g.target, _cert(g.source))].add(g.source)
    return links


def ranking_metrics(
    scores: Mapping[tuple[str, str], float],
    candidates: Mapping[str, list[str]],
    gold: Iterable[GoldPair],
) -> tuple[float, float, float, int]:
    """Hits@1, Hits@3, MRR and the number of queries.

    ``scores[(a, b)]`` is the score of a against b; ``candidates[cert]`` lists
    every competence of that certification (the ranking universe). Ties are
    broken pessimistically (a gold item tied with a non-gold one ranks below it),
    so a constant scorer cannot look good.
    """
    h1 = h3 = rr = 0.0
    links = gold_links(gold)
    for (a, cert_b), matches in sorted(links.items()):
        pool = candidates[cert_b]
        gold_scores = [scores.get((a, b), float("-inf")) for b in matches]
        best = max(gold_scores)
        # rank of the best gold match = 1 + number of non-gold items scoring >= it
        rank = 1 + sum(1 for b in pool if b not in matches and scores.get((a, b), float("-inf")) >= best)
        h1 += rank <= 1
        h3 += rank <= 3
        rr += 1.0 / rank
    n = len(links)
    if n == 0:
        return 0.0, 0.0, 0.0, 0
    return h1 / n, h3 / n, rr / n, n


def pair_prf(
    predicted: Iterable[tuple[str, str]], gold: Iterable[GoldPair]
) -> tuple[float, float, float, int, int, int]:
    """Precision, recall, F1 of unordered predicted pairs, within the gold's certification pairs."""
    gold = list(gold)
    gold_set = {frozenset((g.source, g.target)) for g in gold}
    scope = {frozenset((_cert(g.source), _cert(g.target))) for g in gold}
    pred_set = {
        frozenset((a, b)) for a, b in predicted if frozenset((_cert(a), _cert(b))) in scope and a != b
    }
    tp = len(pred_set & gold_set)
    precision = tp / len(pred_set) if pred_set else 0.0
    recall = tp / len(gold_set) if gold_set else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1, len(pred_set), len(gold_set), tp


def evaluate(
    scores: Mapping[tuple[str, str], float],
    candidates: Mapping[str, list[str]],
    predicted: Iterable[tuple[str, str]],
    gold: Iterable[GoldPair],
) -> Metrics:
    gold = list(gold)
    h1, h3, mrr, n = ranking_metrics(scores, candidates, gold)
    p, r, f1, n_pred, n_gold, tp = pair_prf(predicted, gold)
    return Metrics(h1, h3, mrr, n, p, r, f1, n_pred, n_gold, tp)
