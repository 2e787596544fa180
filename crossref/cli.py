"""Command-line interface. Each command reads its input, calls the library and prints what it returns.

Exit status: 0 on success, 2 on bad input or configuration (message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, Sequence

from crossref.config import Config
from crossref.errors import CrossrefError

Handler = Callable[[argparse.Namespace, Config], int]
_COMMANDS: dict[str, tuple[Handler, tuple, str]] = {}


def arg(*names: str, **kwargs) -> tuple:
    return names, kwargs


def command(name: str, help: str, *arguments: tuple) -> Callable[[Handler], Handler]:
    """Register a sub-command with its argparse arguments."""

    def deco(handler: Handler) -> Handler:
        _COMMANDS[name] = (handler, arguments, help)
        return handler

    return deco


FORMAT_CSV_JSON = arg("--format", choices=["csv", "json"], default="csv")
OUT = arg("--out", help="write to this file instead of stdout")


def _out(text: str, path: str | None) -> None:
    """Write a command's output to stdout or atomically to a file."""
    if path:
        from crossref.io import atomic_write_text

        atomic_write_text(path, text)
        print(f"écrit : {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _corpus(args: argparse.Namespace, config: Config):
    from crossref.referentiels import load_corpus

    return load_corpus(config.data_dir, args.data or [])


# ---------------------------------------------------------------- ingest
@command("ingest", "reconstruit data/referentiels/*.json à partir des fichiers bruts de data/raw "
                   "(les fichiers --data sont seulement vérifiés)")
def _ingest(args: argparse.Namespace, config: Config) -> int:
    from crossref.referentiels import ingest

    for path in ingest(config.data_dir, args.data or []):
        print(f"écrit : {path}")
    return 0


# ---------------------------------------------------------------- competences
@command("competences", "liste toutes les compétences (id, certification, bloc, code, intitulé, énoncé, "
                        "nombre de critères)", FORMAT_CSV_JSON, OUT)
def _competences(args: argparse.Namespace, config: Config) -> int:
    from crossref.tables import competences_table, render_table

    df = competences_table(_corpus(args, config))
    _out(render_table(df, args.format, "competences"), args.out)
    return 0


def _load_command_modules() -> None:
    """Import crossref.commands.* so that each module registers its sub-commands."""
    import importlib
    import pkgutil

    import crossref.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        importlib.import_module(f"crossref.commands.{info.name}")


def build_parser() -> argparse.ArgumentParser:
    _load_command_modules()
    parser = argparse.ArgumentParser(prog="crossref", description="crossref : comparer des certifications professionnelles (RNCP, RS) compétence par compétence")
    parser.add_argument("--config", help="configuration file (.toml or .json)")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data", action="append", metavar="PATH",
        help="extra référentiel file or folder (template CSV/Excel, France Compétences XML, "
             "crossref JSON, BTS text); repeatable",
    )
    common.add_argument("--config", dest="sub_config", help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_, arguments, help) in _COMMANDS.items():
        p = sub.add_parser(name, help=help, parents=[common])
        for names, kwargs in arguments:
            p.add_argument(*names, **kwargs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = Config.load(args.sub_config or args.config)
        if getattr(args, "out", None) is not None:
            from crossref.io import check_destination

            check_destination(args.out)  # a bad destination is refused before the (long) run
        handler = _COMMANDS[args.command][0]
        return handler(args, config)
    except CrossrefError as exc:
        print(f"crossref: erreur : {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


if __name__ == "__main__":  # pragma: no cover
    # Run through the imported module so command modules register into the same registry.
    from crossref.cli import main as _main

    sys.exit(_main())
