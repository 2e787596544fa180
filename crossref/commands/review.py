"""``crossref review list|accept|reject|amend``: the officers' decisions on suggested pairs."""

from __future__ import annotations

import argparse
import getpass
import os
import sys

from crossref.commands._common import (
    FORMAT_CSV_JSON, OUT, arg, command, load_corpus_for, results_for, write_output,
)
from crossref.config import Config
from crossref.errors import CrossrefError
from crossref.model import RELATIONS  # not crossref.tables: pandas only when a command needs it


def _default_reviewer() -> str:
    name = os.environ.get("CROSSREF_REVIEWER", "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        return ""


@command(
    "review", "liste, accepte, rejette ou modifie les décisions de revue sur les paires de compétences",
    arg("action", choices=["list", "accept", "reject", "amend"]),
    arg("ids", nargs="*", metavar="ID", help="SOURCE TARGET competence ids (accept, reject, amend)"),
    arg("--relation", choices=RELATIONS, help="relation set by amend"),
    arg("--reviewer", help="reviewer name (default: $CROSSREF_REVIEWER or the OS user)"),
    arg("--note", default="", help="free comment stored with the decision"),
    arg("--pending", action="store_true", help="list: suggested pairs not reviewed yet"),
    arg("--history", action="store_true", help="list: every decision, not only the latest per pair"),
    FORMAT_CSV_JSON, OUT,
)
def _review(args: argparse.Namespace, config: Config) -> int:
    from crossref.review import DecisionStore

    store = DecisionStore(config.db_url)
    try:
        if args.action == "list":
            return _list(args, config, store)
        return _decide(args, config, store)
    finally:
        store.close()


def _list(args: argparse.Namespace, config: Config, store) -> int:
    from crossref.tables import render_table

    if args.ids:
        raise CrossrefError("« review list » ne prend pas d'identifiants")
    if args.pending:
        from crossref.review import apply_decisions, pending

        # The model's suggestions (results cache when warm), the open store's decisions applied once.
        pairs = results_for(args, config, decisions=False).pairs
        from crossref.explanations import fill_explanations

        todo = fill_explanations(pending(apply_decisions(pairs, store)))
        write_output(render_table(todo, args.format, "pairs"), args.out)
        return 0
    # Decisions alone: the store is read, the model never run.
    df = store.history() if args.history else store.current()
    write_output(render_table(df, args.format, "decisions"), args.out)
    return 0


def _decide(args: argparse.Namespace, config: Config, store) -> int:
    if len(args.ids) != 2:
        raise CrossrefError(f"« review {args.action} » attend deux identifiants : SOURCE CIBLE")
    source, target = args.ids
    if args.action == "amend" and not args.relation:
        raise CrossrefError("« review amend » exige --relation (equivalent, partial ou none)")
    if args.action != "amend" and args.relation:
        raise CrossrefError(f"--relation ne s'utilise qu'avec « amend », pas avec « {args.action} »")
    reviewer = (args.reviewer or _default_reviewer()).strip()
    if not reviewer:
        raise CrossrefError("indiquez l'évaluateur avec --reviewer NOM (ou la variable CROSSREF_REVIEWER)")

    # Cheap id checks before running the model.
    corpus = load_corpus_for(args, config)
    for item in (source, target):
        try:
            corpus.competence(item)
        except KeyError:
            raise CrossrefError(f"compétence inconnue : {item!r}") from None
    if corpus.certification_of(source).id == corpus.certification_of(target).id:
        raise CrossrefError(f"{source} et {target} appartiennent à la même certification")

    # The model's relation is needed to accept it, or as the "previous" relation of a
    # first decision; a pair already decided is rejected or amended from the store alone.
    needs_model = args.action == "accept" or store.decision(source, target) is None
    model_relation = _model_relation(args, config, source, target) if needs_model else None
    if args.action == "accept":
        d = store.accept(source, target, reviewer, args.note, model_relation=model_relation)
    elif args.action == "reject":
        d = store.reject(source, target, reviewer, args.note, model_relation=model_relation)
    else:
        d = store.amend(source, target, args.relation, reviewer, args.note, model_relation=model_relation)
    prev = f" (avant : {d['previous_relation']})" if d["previous_relation"] else ""
    print(f"décision n° {d['id']} enregistrée : {d['source']} / {d['target']} -> {d['relation']}{prev}, "
          f"par {d['reviewer']} le {d['decided_at']}", file=sys.stderr)
    return 0


def _model_relation(args: argparse.Namespace, config: Config, source: str, target: str) -> str:
    """The model's relation for the pair ("none" when the model did not score it)."""
    pairs = results_for(args, config, decisions=False).pairs
    row = pairs[(pairs["source"] == source) & (pairs["target"] == target)]
    if row.empty:
        row = pairs[(pairs["source"] == target) & (pairs["target"] == source)]
    return str(row["model_relation"].iloc[0]) if len(row) else "none"
