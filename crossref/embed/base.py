"""The embedder contract shared by every backend, and small helpers for backends.

An embedder turns texts into L2-normalised float32 row vectors, so that a dot
product is a cosine similarity. ``name`` identifies everything that changes the
vectors (backend, model, version, options); :class:`~crossref.embed.cache.CachedEmbedder`
uses it as the cache key, so two embedders with the same name must return the
same vectors for the same text.

Asymmetric models (e5: ``query: `` / ``passage: ``) are handled by a constructor
option (``role`` for e5-small, ``prefix`` for sentence-transformers) rather than
a second method: a caller that needs both sides builds two embedders, each with
its own name and cache entries.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from types import ModuleType
from typing import Protocol, runtime_checkable

import numpy as np

from crossref.errors import MissingExtraError


@runtime_checkable
class Embedder(Protocol):
    """``name`` is a stable cache key; ``embed`` returns (n, d) float32 unit rows.

    Empty input returns an array of shape (0, d). A row is all zeros only when
    the backend has no feature for the text (the lexical backend on a text made
    of stop words); its cosine with anything is then 0.
    """

    @property
    def name(self) -> str: ...

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def as_text_list(texts: Sequence[str]) -> list[str]:
    """The texts as a list; refuses a bare string (it would embed each character)."""
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not a single string")
    out = list(texts)
    for t in out:
        if not isinstance(t, str):
            raise TypeError(f"embed() takes strings, got {type(t).__name__}")
    return out


def normalise_rows(x: np.ndarray) -> np.ndarray:
    """C-contiguous float32 copy with unit rows; all-zero rows stay zero (no NaN)."""
    x = np.array(x, dtype=np.float32, copy=True, ndmin=2)
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    np.divide(x, norms, out=x, where=norms > 0)
    return np.ascontiguousarray(x)


def require(module: str, package: str, extra: str) -> ModuleType:
    """Import an optional dependency, turning its absence into MissingExtraError.

    Any ImportError counts, not only ModuleNotFoundError: a package whose own
    dependency (e.g. torch for sentence-transformers) is missing is just as unusable.
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(package, extra) from exc


def package_version(dist: str) -> str:
    """Installed distribution version, part of backend names so upgrades miss the cache."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(dist)
    except PackageNotFoundError:
        return "unknown"
