"""Errors users see. The CLI turns any CrossrefError into a message and exit status 2."""

from __future__ import annotations

from pathlib import Path


class CrossrefError(Exception):
    """An error caused by user input or configuration, not by a bug."""


class InputError(CrossrefError):
    """Bad input file: names the file and, where known, the line, row or column."""

    def __init__(self, path: str | Path, message: str, *, line: int | None = None,
                 row: int | None = None, column: str | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.row = row
        self.column = column
        self.detail = message
        where = self.path
        if line is not None:
            where += f", ligne {line}"
        if row is not None:
            where += f", rang {row}"
        if column is not None:
            where += f", colonne {column!r}"
        super().__init__(f"{where}: {message}")


class OutputError(CrossrefError):
    """An output file that cannot be written (a folder, a path under a file, no permission)."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path = str(path)
        self.detail = message
        super().__init__(f"{self.path} : {message}")


class ConfigError(CrossrefError):
    """Invalid configuration file or value."""


class MissingExtraError(CrossrefError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str) -> None:
        super().__init__(
            f"the optional package {package!r} is required for this feature; "
            f"install it with: pip install 'crossref[{extra}]'"
        )
