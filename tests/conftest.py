"""Fixtures shared by the test modules.

* ``builtin_corpus``: the four built-in certifications (session-wide, read only).
* ``default_config``: the default configuration with a private decision store and
  embedding cache in a temporary folder, so that no test reads or writes
  ``data/decisions.sqlite`` or ``models/cache``.
* ``default_results``: the pipeline's results for the built-in data with that
  configuration (computed once per session: embeddings, pairs, clusters).
* ``decision_store``: an empty decision store in a temporary SQLite file.

Modules that build small hand-made corpora keep their own ``corpus`` / ``pairs``
fixtures next to the tests that read them.
"""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def builtin_corpus():
    from crossref.config import Config
    from crossref.referentiels import load_corpus

    return load_corpus(Config().data_dir)


@pytest.fixture(scope="session")
def default_config(tmp_path_factory):
    from tests.golden.update import golden_config

    return golden_config(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="session")
def default_results(default_config):
    from crossref.pipeline import run

    return run(default_config)


@pytest.fixture
def decision_store(tmp_path: Path):
    from crossref.review import DecisionStore

    store = DecisionStore(f"sqlite:///{tmp_path / 'decisions.sqlite'}")
    yield store
    store.close()
