"""Command-line interface. Each command reads its input, calls the library and prints what it returns.

The sub-commands live in ``crossref.commands`` (one module per area) and
register themselves in ``crossref.commands._common.COMMANDS``; this module
imports them all, builds the parser and maps errors to the exit status.

Exit status: 0 on success, 2 on bad input or configuration (message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from typing import Sequence

from crossref.commands._common import COMMANDS
from crossref.config import Config
from crossref.errors import CrossrefError


def _load_command_modules() -> None:
    """Import crossref.commands.* so that each module registers its sub-commands."""
    import importlib
    import pkgutil

    import crossref.commands as pkg

    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
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
    for name, (_, arguments, help) in COMMANDS.items():  # module order: corpus commands first
        p = sub.add_parser(name, help=help, parents=[common])
        for flags, kwargs in arguments:
            p.add_argument(*flags, **kwargs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = Config.load(args.sub_config or args.config)
        if getattr(args, "out", None) is not None:
            from crossref.io import check_destination

            check_destination(args.out)  # a bad destination is refused before the (long) run
        handler = COMMANDS[args.command][0]
        return handler(args, config)
    except CrossrefError as exc:
        print(f"crossref: erreur : {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0


def console_main() -> int:
    """The ``crossref`` command. pandera imports hypothesis when it is installed (0.35 s of a warm
    ``crossref pairs``) only to offer data-synthesis strategies no command uses: the process
    hides it (tests calling :func:`main` in-process keep it)."""
    if "hypothesis" not in sys.modules:
        sys.modules["hypothesis"] = None  # type: ignore[assignment]  # "import hypothesis" -> ImportError
    return main()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(console_main())
