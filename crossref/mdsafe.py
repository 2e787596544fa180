"""Show any text literally where Streamlit renders markdown (titles, messages, captions, badges).

Référentiel titles, uploaded file names, explanations, error messages quoting a
cell, reviewer names and notes come from other people: rendered as markdown, a
title such as ``[Cliquez ici](https://…)`` or ``![](https://…/pixel.png)`` would
become a link or load a remote image in every officer's browser. CommonMark lets
any ASCII punctuation be escaped with a backslash, which always means the
character itself: escaping all of it leaves no link, image, emphasis, heading,
list, table, HTML tag or auto-link, and the reader sees the text unchanged.
"""

from __future__ import annotations

import re
from typing import Any

_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation character
_LINE_BREAK = re.compile(r"\r\n?|\n")
_INDENT = re.compile(r"^[ \t]+", re.MULTILINE)  # an indented line would become a code block


def escape_markdown(text: Any) -> str:
    """``text`` (any value, ``None`` as empty) escaped so that markdown shows it as written.

    Line breaks are kept as line breaks (two trailing spaces: a markdown hard break) and
    indentation as no-break spaces (four leading spaces would start a code block).
    """
    escaped = _PUNCTUATION.sub(lambda m: "\\" + m.group(), "" if text is None else str(text))
    escaped = _LINE_BREAK.sub("\n", escaped)
    escaped = _INDENT.sub(lambda m: "\u00a0" * len(m.group().expandtabs(4)), escaped)
    return escaped.replace("\n", "  \n")


__all__ = ["escape_markdown"]
