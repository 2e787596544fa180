"""`crossref passerelle` and `crossref vae`: bloc-by-bloc dispenses towards a target certification."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from crossref.commands._common import OUT, arg, command, results_for, write_output
from crossref.config import Config
from crossref.errors import InputError
from crossref.labels import COMPETENCE_MISSING, fr_percent

FORMAT_JSON_TABLE = arg("--format", choices=["json", "table"], default="json")


def _read_text(path: str) -> str:
    from crossref.passerelles import MAX_VAE_CHARS

    if path == "-":
        text = sys.stdin.read(MAX_VAE_CHARS + 1)  # bounded: the rest is never read
        if len(text) > MAX_VAE_CHARS:
            raise InputError("(entrée standard)", f"texte de VAE trop long (plus de {MAX_VAE_CHARS} caractères)")
        return text
    p = Path(path)
    try:
        if p.is_file() and p.stat().st_size > 4 * MAX_VAE_CHARS:  # UTF-8: at most 4 bytes a character
            raise InputError(p, f"texte de VAE trop long (plus de {MAX_VAE_CHARS} caractères)")
        text = p.read_text(encoding="utf-8")
        if len(text) > MAX_VAE_CHARS:
            raise InputError(p, f"texte de VAE trop long (plus de {MAX_VAE_CHARS} caractères)")
        return text
    except FileNotFoundError:
        raise InputError(p, "fichier introuvable") from None
    except UnicodeDecodeError:
        raise InputError(p, "le texte doit être encodé en UTF-8") from None
    except OSError as exc:
        raise InputError(p, f"lecture impossible ({exc.strerror})") from None


def _cell(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return (text if len(text) <= width else text[: width - 1] + "…").ljust(width)


def render_table(result: dict) -> str:
    """Readable French text table of a passerelle or VAE dict."""
    from crossref.passerelles import still_to_evidence

    if result["from"] == "VAE":
        head = f"VAE → {result['to']}"
    else:
        held = "certification entière" if result.get("whole_certification", True) \
            else "blocs " + ", ".join(result["blocs_held"])
        head = f"Passerelle {result['from']} → {result['to']} ({held})"
    lines = [
        head,
        f"Statut global : {result['status']} — couverture {fr_percent(result['coverage'])}",
        result.get("explanation", ""),
        "",
        f"{_cell('Bloc', 12)} {_cell('Intitulé', 44)} {'Couverture':>10}  {_cell('Statut', 25)} {'Partielles':>10}  {COMPETENCE_MISSING.capitalize()}",
    ]
    for b in result["blocs"]:
        lines.append(
            f"{_cell(b['bloc'], 12)} {_cell(b['title'], 44)} {fr_percent(b['coverage']):>10}  "
            f"{_cell(b['status'], 25)} {len(b.get('partial', [])):>10}  "
            f"{len(still_to_evidence(b))}/{b.get('competences', '?')}"
        )
    if result["from"] == "VAE" and "competences" in result:
        from crossref.labels import fr_decimal
        from crossref.vae import STATE_FR

        # Every competence of the target, best evidence first: near misses show, for the advisor.
        lines += ["", f"{_cell('Compétence', 12)} {'Score':>5}  {_cell('État', 19)} Meilleure phrase (n°)"]
        for e in sorted(result["competences"], key=lambda e: -e["score"]):
            where = ", ".join(str(n) for n in e["best_sentences"])
            lines.append(f"{_cell(e['competence'], 12)} {fr_decimal(e['score']):>5}  {_cell(STATE_FR[e['state']], 19)} "
                         + (f"« {_cell(e['best'], 70).rstrip()} » ({where})" if e["best"] else "—"))
    return "\n".join(lines) + "\n"


def _render(result: dict, fmt: str) -> str:
    from crossref.io import dumps_json

    return dumps_json(result) if fmt == "json" else render_table(result)


@command(
    "passerelle", "ce que le titulaire d'une certification (ou de certains de ses blocs) détient d'une autre, bloc par bloc",
    arg("--from", dest="source", required=True, metavar="CERT", help="certification held"),
    arg("--to", dest="target", required=True, metavar="CERT", help="certification sought"),
    arg("--blocs", metavar="A:B1,A:B2", help="only these blocs of the source are held (not for an RS)"),
    FORMAT_JSON_TABLE, OUT,
)
def _passerelle(args: argparse.Namespace, config: Config) -> int:
    from crossref.passerelles import passerelle
    from crossref.explanations import explain_credited

    results = results_for(args, config)
    result = passerelle(explain_credited(results.pairs), results.corpus, args.source, args.target,
                        results.config, blocs=args.blocs)
    write_output(_render(result, args.format), args.out)
    return 0


@command(
    "vae", "compétences d'une certification attestées par une description libre de l'expérience (VAE)",
    arg("--to", dest="target", required=True, metavar="CERT", help="certification sought"),
    arg("--text", required=True, metavar="FILE", help="UTF-8 text file describing the experience ('-': stdin)"),
    FORMAT_JSON_TABLE, OUT,
)
def _vae(args: argparse.Namespace, config: Config) -> int:
    from crossref.errors import CrossrefError
    from crossref.passerelles import split_sentences, vae

    text = _read_text(args.text)
    if not split_sentences(text):  # before the (slow) pipeline run
        raise CrossrefError(f"{args.text} : texte de VAE vide, aucune phrase à analyser")
    results = results_for(args, config)
    write_output(_render(vae(results, text, args.target), args.format), args.out)
    return 0
