"""Stage 1: the texts each competence is compared on (its views), corpus order.

A pure function of the corpus: no model, no configuration. The views are
what the channels embed (``text``: title and statement, ``full``: plus its
own critères, ``core``: the first clause, ``criteria``: own critères only),
and the clauses are what clause coverage and the aligned phrases are made of.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from crossref.config_checks import VIEWS as VIEW_NAMES  # what a channel may name
from crossref.model import Corpus


@dataclass(frozen=True)
class CompetenceViews:
    ids: list[str]
    certs: np.ndarray              # certification id per competence
    blocs: list[str]               # bloc id per competence
    views: dict[str, list[str]]    # view name -> one text per competence
    clauses: list[list[str]]       # the statement's clauses per competence (at least one)
    bloc_titles: list[str]

    def positions(self) -> dict[str, int]:
        return {c: n for n, c in enumerate(self.ids)}

    def all_clauses(self) -> list[str]:
        return [c for cl in self.clauses for c in cl]


def competence_views(corpus: Corpus) -> CompetenceViews:
    """Per competence (corpus order): ids, certification, bloc and the texts of each view."""
    from crossref.matching import split_clauses, strip_shared_prefixes

    ids, certs, blocs, bloc_titles = [], [], [], []
    views: dict[str, list[str]] = {v: [] for v in VIEW_NAMES}
    clauses: list[list[str]] = []
    for cert in corpus:
        titles = {b.id: b.title or b.code for b in cert.blocs}
        statements, own_criteria = _distinctive_texts(cert, strip_shared_prefixes)
        for comp in cert.competences:
            bloc_titles.append(titles.get(comp.bloc_id, ""))
            own = own_criteria[comp.id]
            statement = statements[comp.id]
            # The title is the short label; kept even when the statement repeats it (measured).
            text = f"{comp.title}. {statement}" if comp.title else statement
            ids.append(comp.id)
            certs.append(cert.id)
            blocs.append(comp.bloc_id)
            cl = split_clauses(statement)
            clauses.append(cl)
            views["text"].append(text)
            # Only the competence's own critères: those shared by a whole bloc
            # or épreuve make all its competences look alike.
            views["full"].append(" ".join([text, *own]))
            views["core"].append(cl[0])
            views["criteria"].append(" ".join(own))
    return CompetenceViews(ids=ids, certs=np.array(certs), blocs=blocs, views=views, clauses=clauses,
                           bloc_titles=bloc_titles)


def _distinctive_texts(cert, strip) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Per competence: its statement without the heading its bloc repeats, and its own critères
    without those attached, word for word, to every competence of its bloc (a bloc-wide critère
    written out per competence is still shared)."""
    statements: dict[str, str] = {}
    own: dict[str, list[str]] = {}
    for bloc in cert.blocs:
        comps = [c for c in cert.competences if c.bloc_id == bloc.id]
        statements.update(zip([c.id for c in comps], strip([c.statement for c in comps])))
        texts = {c.id: [cr.text for cr in cert.own_criteria(c.id)] for c in comps}
        common = set.intersection(*(set(t) for t in texts.values())) if len(comps) > 1 else set()
        own.update({cid: [t for t in ts if t not in common] for cid, ts in texts.items()})
    for c in cert.competences:  # a competence outside any known bloc keeps its texts
        statements.setdefault(c.id, c.statement)
        own.setdefault(c.id, [cr.text for cr in cert.own_criteria(c.id)])
    return statements, own


def lexical_texts(views: CompetenceViews) -> list[str]:
    """The texts of a corpus's views the lexical channel is fitted on (full view and clauses)."""
    return views.views["full"] + views.all_clauses()


def lexical_reference_texts() -> list[str]:
    """Texts the lexical channel is fitted on: the built-in référentiels, whatever else is loaded
    (the calibration artifact's statistics were measured with this vocabulary)."""
    from crossref.config import DEFAULT_DATA_DIR
    from crossref.referentiels import load_corpus

    return lexical_texts(competence_views(load_corpus(str(DEFAULT_DATA_DIR))))
