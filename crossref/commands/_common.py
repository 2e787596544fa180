"""What the sub-commands share: the registry they add themselves to, common arguments and output.

A leaf module: it imports nothing from ``crossref.cli`` or the command modules,
so commands register here without importing back into the CLI (the CLI only
reads :data:`COMMANDS` after importing every module of ``crossref.commands``).
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, Callable

from crossref.config import Config

Handler = Callable[[argparse.Namespace, Config], int]
Argument = tuple[tuple[str, ...], dict[str, Any]]
# name -> (handler, argparse arguments, help), in registration order
COMMANDS: dict[str, tuple[Handler, tuple[Argument, ...], str]] = {}


def arg(*names: str, **kwargs: Any) -> Argument:
    """One argparse argument of a command: ``arg("--out", help=...)``."""
    return names, kwargs


def command(name: str, help: str, *arguments: Argument) -> Callable[[Handler], Handler]:
    """Register a sub-command with its argparse arguments."""

    def deco(handler: Handler) -> Handler:
        COMMANDS[name] = (handler, arguments, help)
        return handler

    return deco


FORMAT_CSV_JSON = arg("--format", choices=["csv", "json"], default="csv")
OUT = arg("--out", help="write to this file instead of stdout")


def write_output(text: str, path: str | None) -> None:
    """Write a command's output to stdout or atomically to a file."""
    if path:
        from crossref.io import atomic_write_text

        atomic_write_text(path, text)
        print(f"écrit : {path}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def corpus_files(args: argparse.Namespace, config: Config) -> list:
    """What joins the built-in référentiels: those imported in the dashboard (``<data_dir>/imported/``,
    the same store), then the ``--data`` files."""
    from crossref.imported import imported_files

    return [*imported_files(config), *(getattr(args, "data", None) or [])]


def load_corpus_for(args: argparse.Namespace, config: Config):
    """The built-in and imported référentiels plus the ``--data`` files (no scoring)."""
    from crossref.referentiels import load_corpus

    return load_corpus(config.data_dir, corpus_files(args, config))


def results_for(args: argparse.Namespace, config: Config, *, decisions: bool = True):
    """The pipeline's results for the corpus (from the results cache when warm)."""
    from crossref import pipeline  # looked up at call time: tests replace pipeline.run

    files = corpus_files(args, config)
    if decisions:
        return pipeline.run(config, files)
    return pipeline.run(config, files, decisions=False)
