"""What every page shares: the configuration, the cached results, imported référentiels, decisions.

Caching (one Streamlit server, many sessions):

* the model's results (``pipeline.run(..., decisions=False)``: corpus, scored
  pairs, clusters, the free-text scorer with its loaded models) are a
  ``st.cache_resource`` keyed on the configuration and the imported files;
  ``pipeline.run`` itself keeps them on disk, so a restarted server is warm too;
* the reviewed results re-apply the decision store to those model pairs
  (``pipeline.apply_reviewed``), keyed on a version read from the store, so a
  decision taken here, in another session or with the CLI shows at the next
  rerun without recomputing anything;
* derived tables (matrices, summaries, export bytes) are ``st.cache_data`` keyed
  on :attr:`Snapshot.key`.

The configuration comes from the file named by ``$CROSSREF_CONFIG`` (TOML or
JSON), else the defaults (bundled models, ``data/``, SQLite decision store).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import streamlit as st

from crossref.config import Config
from crossref.errors import CrossrefError, InputError
# The store of imported référentiels is crossref.imported (the CLI reads it too); re-exported for the pages.
from crossref.imported import (
    IMPORTED_DIR as IMPORTED_DIR,
    MAX_FILENAME as MAX_FILENAME,
    UPLOAD_SUFFIXES as UPLOAD_SUFFIXES,
    Upload as Upload,
    data_dir as data_dir,
    files_signature as files_signature,
    imported_dir as imported_dir,
    imported_files as imported_files,
    imported_summary as imported_summary,
    remove_imported as remove_imported,
    sanitize_filename as sanitize_filename,
    save_upload as save_upload,
    validate_upload as validate_upload,
)
from crossref.mdsafe import escape_markdown

ENV_CONFIG = "CROSSREF_CONFIG"


# ---------------------------------------------------------------- configuration
def config_path() -> Path | None:
    value = os.environ.get(ENV_CONFIG, "").strip()
    return Path(value) if value else None


def get_config() -> Config:
    """The run's Config: the file named by $CROSSREF_CONFIG, else the defaults (raises ConfigError)."""
    return Config.load(config_path())


def config_json(config: Config) -> str:
    return json.dumps(config.to_dict(), sort_keys=True, ensure_ascii=False)


# ---------------------------------------------------------------- decisions
@st.cache_resource(show_spinner=False, max_entries=8)
def decision_store(url: str) -> Any:
    """The process's decision store for ``url``: one SQLAlchemy engine (and connection pool) shared by
    every session, instead of one per run. Thread-safe: each query takes its own connection."""
    from crossref.review import DecisionStore

    return DecisionStore(url)


def decisions_version(config: Config) -> tuple[int, int]:
    """(decisions in the log, last decision id): changes with every decision, whoever takes it.

    One small query on the shared store per run (the decisions themselves are read once per version).
    """
    return decision_store(config.db_url).log_version()


def decide(config: Config, action: str, source: str, target: str, reviewer: str, note: str = "",
           relation: str | None = None, model_relation: str | None = None) -> dict:
    """Record accept / reject / amend in the decision store (raises CrossrefError with a French message)."""
    store = decision_store(config.db_url)
    if action == "accept":
        return store.accept(source, target, reviewer, note, model_relation=model_relation)
    if action == "reject":
        return store.reject(source, target, reviewer, note, model_relation=model_relation)
    if action == "amend":
        return store.amend(source, target, relation or "", reviewer, note, model_relation=model_relation)
    raise ValueError(f"unknown action {action!r}")


# ---------------------------------------------------------------- reviewer identity
# Behind an authenticating reverse proxy, the name of the request header in which the
# proxy passes the authenticated user (e.g. X-Forwarded-User); unset: the reviewer
# types a name once per session.
ENV_REVIEWER_HEADER = "CROSSREF_REVIEWER_HEADER"
_SESSION_REVIEWER = "_reviewer"
MAX_REVIEWER_CHARS = 100


def reviewer_header() -> str:
    return os.environ.get(ENV_REVIEWER_HEADER, "").strip()


def _request_headers() -> Any:
    """The current request's HTTP headers (st.context.headers; empty outside a server)."""
    try:
        return st.context.headers
    except Exception:  # no script run context (AppTest, bare mode)
        return {}


def check_reviewer_name(name: Any) -> str:
    """A reviewer name as it will be recorded: stripped, not empty, short, printable (CrossrefError)."""
    from crossref.model import FORBIDDEN_CHARS_RE

    name = " ".join(str(name or "").split())
    if not name:
        raise CrossrefError("le nom de l'évaluateur est obligatoire : indiquez votre nom")
    if len(name) > MAX_REVIEWER_CHARS or FORBIDDEN_CHARS_RE.search(name):
        raise CrossrefError(f"nom d'évaluateur refusé : {MAX_REVIEWER_CHARS} caractères imprimables au plus")
    return name


def fixed_reviewer() -> tuple[str, str]:
    """(name, origin) of this session's reviewer once known: origin "proxy" (the header set by an
    authenticating proxy) or "session" (typed once in this session); ("", "") before that."""
    header = reviewer_header()
    if header:
        value = _request_headers().get(header) or ""
        try:
            return check_reviewer_name(value), "proxy"
        except CrossrefError:
            return "", "proxy"
    name = st.session_state.get(_SESSION_REVIEWER, "")
    return (name, "session") if name else ("", "")


def session_reviewer(typed: str = "") -> str:
    """The reviewer recorded with a decision of this session.

    Behind a proxy (``$CROSSREF_REVIEWER_HEADER``) it is the proxy's user, never a
    typed name; otherwise the first name typed in the session is kept for the
    whole session (later decisions cannot be recorded under another name).
    """
    name, origin = fixed_reviewer()
    if origin == "proxy" and not name:
        raise CrossrefError(f"identité de l'évaluateur non transmise par le proxy (en-tête {reviewer_header()} "
                            "absent ou invalide) : décision refusée")
    if name:
        return name
    name = check_reviewer_name(typed)
    st.session_state[_SESSION_REVIEWER] = name
    return name


@st.cache_data(show_spinner=False, max_entries=256)
def _pair_history(url: str, version: tuple[int, int], source: str, target: str) -> pd.DataFrame:
    return decision_store(url).history(source, target)


def pair_history(config: Config, source: str, target: str, version: tuple[int, int] | None = None) -> pd.DataFrame:
    """The decisions on one pair, oldest first (read once per decision version)."""
    version = decisions_version(config) if version is None else version
    return _pair_history(config.db_url, (int(version[0]), int(version[1])), source, target)


# ---------------------------------------------------------------- results
@dataclass(frozen=True)
class Snapshot:
    """What a page renders from: the reviewed results and a key naming them (for st.cache_data)."""

    config: Config
    results: Any  # crossref.pipeline.Results
    key: str
    imported: tuple[Path, ...]
    decided: int                      # reviewed pairs (their latest decision)
    version: tuple[int, int] = (0, 0)  # decisions_version() the results were reviewed at


_computed: set[str] = set()  # model keys computed in this process (to show progress only when needed)


def model_config_json(config: Config) -> str:
    """The configuration the model's results depend on (the decision store is applied afterwards)."""
    data = config.to_dict()
    data.pop("database_url", None)
    return json.dumps(data, sort_keys=True, ensure_ascii=False)


@st.cache_resource(show_spinner=False, max_entries=4)
def _model_results(model_json: str, extra: tuple[str, ...], signature: tuple) -> Any:
    from crossref import pipeline

    config = Config.from_dict(json.loads(model_json))
    return pipeline.run(config, list(extra), decisions=False)


@st.cache_resource(show_spinner=False, max_entries=8)
def _reviewed_results(cfg_json: str, model_json: str, extra: tuple[str, ...], signature: tuple,
                      version: tuple) -> tuple[Any, int]:
    """(the model's results with the decisions applied, reviewed pairs), once per decision version."""
    from crossref import pipeline

    model = _model_results(model_json, extra, signature)
    config = Config.from_dict(json.loads(cfg_json))
    reviewed = dataclasses.replace(model, config=config, pairs=pipeline.apply_reviewed(model.pairs, config, model))
    return reviewed, len(decision_store(config.db_url).current())


def snapshot(config: Config | None = None) -> Snapshot:
    """The reviewed results for the current configuration and imported files (cached)."""
    config = config or get_config()
    files = imported_files(config)
    signature = files_signature(files)
    cfg, model_json = config_json(config), model_config_json(config)
    extra = tuple(str(p) for p in files)
    version = decisions_version(config)
    model_key = hashlib.sha256(repr((model_json, signature)).encode()).hexdigest()[:16]
    if model_key not in _computed:
        with st.spinner("Calcul des correspondances entre référentiels (première exécution : "
                        "chargement des modèles et des textes, jusqu'à une minute)…"):
            _model_results(model_json, extra, signature)
        _computed.add(model_key)
    results, decided = _reviewed_results(cfg, model_json, extra, signature, version)
    key = hashlib.sha256(repr((cfg, signature, version)).encode()).hexdigest()[:16]
    return Snapshot(config, results, key, tuple(files), decided, version)


# Choices that survive a page change: filters, the selected pair, the chosen certifications.
# Streamlit forgets a widget's state when a page without it runs; a copy under "_kept_<key>"
# (not a widget key) is kept and put back when the page comes back.
KEPT_KEYS = (
    "eq_src_certs", "eq_tgt_certs", "eq_blocs", "eq_relations", "eq_score", "eq_statuses", "eq_search",
    "eq_one_way", "eq_pair", "eq_explain", "mx_source", "mx_target", "pa_from", "pa_to", "vae_to", "vae_text",
    "vae_candidate",
)
_KEPT = "_kept_"


def keep_choices() -> None:
    ss = st.session_state
    for k in KEPT_KEYS:
        if k in ss:
            ss[_KEPT + k] = ss[k]
        elif _KEPT + k in ss:
            ss[k] = ss[_KEPT + k]


def open_pair(source: str, target: str, relation: str) -> None:
    """Go to the pair's review in Équivalences, with filters that show it (from a matrix cell or a passerelle)."""
    ss = st.session_state
    corpus_ids = [split_cert(source), split_cert(target)]
    wanted = {
        "eq_src_certs": list(dict.fromkeys(list(ss.get(_KEPT + "eq_src_certs") or []) + corpus_ids)),
        "eq_tgt_certs": list(dict.fromkeys(list(ss.get(_KEPT + "eq_tgt_certs") or []) + corpus_ids)),
        "eq_relations": list(dict.fromkeys(list(ss.get(_KEPT + "eq_relations") or ["equivalent", "partial"])
                                           + [relation])),
        "eq_statuses": ["suggested", "validated", "rejected"], "eq_score": (0.0, 1.0), "eq_blocs": [],
        "eq_search": "", "eq_pair": f"{source}|{target}",
    }
    for k, v in wanted.items():
        ss[_KEPT + k] = v
        ss.pop(k, None)
    st.switch_page(_page("equivalences.py"))


def split_cert(comp_id: str) -> str:
    return comp_id.split(":", 1)[0]


def _page(file: str) -> str:
    from crossref.ui import PAGES

    return next(p.app_relative for p in PAGES if p.file == file)


def load_or_stop() -> Snapshot:
    """:func:`snapshot`, or a French error on the page and ``st.stop()``."""
    keep_choices()
    try:
        snap = snapshot()
    except CrossrefError as exc:
        st.error(f"Impossible de charger les données : {escape_markdown(exc)}")
        if isinstance(exc, InputError) and IMPORTED_DIR in str(getattr(exc, "path", "")):
            st.info("Ce fichier vient de la page « Importer un référentiel » : vous pouvez l'y retirer.")
        st.stop()
    sidebar(snap)
    return snap


def sidebar(snap: Snapshot) -> None:
    from crossref import views
    from crossref.labels import french_date

    corpus = snap.results.corpus
    with st.sidebar:
        st.caption(
            f"{views.corpus_caption(corpus)} · {snap.decided} paire(s) revue(s)  \n"
            f"Résultats calculés le {french_date(snap.results.created_at) or '—'}"
            + (f"  \nConfiguration : {escape_markdown(path.name)}" if (path := config_path()) else "")
        )


@st.cache_data(show_spinner=False, max_entries=8)
def _matcher_quality(path: str, mtime: float) -> str:
    from crossref.calibration import load_artifact
    from crossref.views import matcher_quality_text

    return matcher_quality_text(load_artifact(path).provenance)


def matcher_quality(config: Config) -> str:
    """The calibration artifact's out-of-sample quality, in French (re-read when the file changes)."""
    path = Path(config.matching.calibration)
    try:
        return _matcher_quality(str(path), path.stat().st_mtime)
    except (OSError, CrossrefError):
        return f"Qualité des suggestions inconnue : artefact de calibration illisible ({path.name})."


# ---------------------------------------------------------------- derived tables (cached on the key)
@st.cache_data(show_spinner=False, max_entries=16)
def certification_matrix(_snap: Snapshot, key: str) -> pd.DataFrame:
    from crossref.coverage import certification_matrix as cm

    r = _snap.results
    return cm(r.pairs, r.corpus, r.config.passerelles)


@st.cache_data(show_spinner=False, max_entries=64)
def bloc_matrix(_snap: Snapshot, key: str, source: str, target: str) -> pd.DataFrame:
    from crossref.coverage import bloc_matrix as bm

    r = _snap.results
    return bm(r.pairs, r.corpus, source, target, r.config.passerelles)


@st.cache_data(show_spinner=False, max_entries=16)
def overlap_summary(_snap: Snapshot, key: str) -> pd.DataFrame:
    """One row per pair of certifications: proposed / reviewed pairs and the coverage both ways."""
    from crossref.views import overlap_summary as summary

    r = _snap.results
    return summary(r.pairs, r.corpus.ids, certification_matrix(_snap, key))


@st.cache_data(show_spinner=False, max_entries=32)
def graph_figure(_snap: Snapshot, key: str, relations: tuple[str, ...], min_score: float,
                 show_blocs: bool) -> tuple[Any, int]:
    """The plotly network (crossref.graph) and its number of equivalence edges."""
    from crossref.graph import build_graph, equivalence_edge_count, graph_figure as figure

    g = build_graph(_snap.results, min_score=min_score, relations=relations)
    return figure(g, relations=relations, min_score=min_score, show_blocs=show_blocs), equivalence_edge_count(g)


@st.cache_data(show_spinner=False, max_entries=16)
def cluster_summary(_snap: Snapshot, key: str) -> pd.DataFrame:
    from crossref.clusters import cluster_summary as summary

    return summary(_snap.results.clusters)


def pair_counts(pairs: pd.DataFrame) -> dict[str, int]:
    """Counts over one orientation of each pair (the table holds both): crossref.views.pair_counts."""
    from crossref.views import pair_counts as counts

    return counts(pairs)


# ---------------------------------------------------------------- view models, shared by every session
# Computed once per results and decision version (Snapshot.key) and page choice, by crossref.views;
# st.cache_resource hands every session the same objects: pages only read and render them.
@dataclass(frozen=True)
class OverviewModel:
    counts: dict                # corpus_counts + pair_counts
    certifications: pd.DataFrame
    matrix: pd.DataFrame        # certification x certification coverage
    figure: Any                 # its plotly heatmap
    summary: pd.DataFrame       # overlap_summary
    strongest: tuple | None     # (A, B, coverage)


@st.cache_resource(show_spinner=False, max_entries=8)
def _overview_model(_snap: Snapshot, key: str) -> OverviewModel:
    from crossref import views
    from crossref.figures import certification_heatmap

    r = _snap.results
    matrix = certification_matrix(_snap, key)
    summary = overlap_summary(_snap, key)
    return OverviewModel(
        counts={**views.corpus_counts(r.corpus), **views.pair_counts(r.pairs)},
        certifications=views.certifications_table(r.corpus, [p.name for p in _snap.imported]),
        matrix=matrix, figure=certification_heatmap(matrix, r.corpus), summary=summary,
        strongest=views.strongest_overlap(summary),
    )


def overview_model(snap: Snapshot) -> OverviewModel:
    return _overview_model(snap, snap.key)


@dataclass(frozen=True)
class MatrixModel:
    matrix: pd.DataFrame        # bloc x bloc coverage (crossref.coverage.bloc_matrix)
    figure: Any                 # its heatmap, cells clickable, height set
    labelled: pd.DataFrame      # the matrix with « B1 — title » labels


@st.cache_resource(show_spinner=False, max_entries=64)
def _matrix_model(_snap: Snapshot, key: str, source: str, target: str) -> MatrixModel:
    from crossref import views
    from crossref.figures import coverage_heatmap
    from crossref.ui.components import clickable_cells

    r = _snap.results
    matrix = bloc_matrix(_snap, key, source, target)
    fig = coverage_heatmap(matrix, r.corpus, r.pairs, r.config.passerelles)
    fig.update_layout(height=max(380, 90 * len(matrix.index) + 160))
    clickable_cells(fig)
    return MatrixModel(matrix, fig, views.labelled_matrix(matrix, r.corpus))


def matrix_model(snap: Snapshot, source: str, target: str) -> MatrixModel:
    return _matrix_model(snap, snap.key, source, target)


@st.cache_resource(show_spinner=False, max_entries=256)
def _cell_table(_snap: Snapshot, key: str, source_bloc: str, target_bloc: str, counted_only: bool) -> pd.DataFrame:
    from crossref import views
    from crossref.coverage import bloc_cell_pairs

    r = _snap.results
    cell = bloc_cell_pairs(r.pairs, source_bloc, target_bloc, r.config.passerelles, counted_only=counted_only)
    return views.cell_table(cell, r.corpus)


@st.cache_resource(show_spinner=False, max_entries=32)
def _cell_pairs(_snap: Snapshot, key: str, source_bloc: str, target_bloc: str, counted_only: bool) -> pd.DataFrame:
    from crossref.coverage import bloc_cell_pairs

    r = _snap.results
    return bloc_cell_pairs(r.pairs, source_bloc, target_bloc, r.config.passerelles, counted_only=counted_only)


def cell_pairs(snap: Snapshot, source_bloc: str, target_bloc: str, counted_only: bool) -> pd.DataFrame:
    """The pairs behind one cell (rows in the order of :func:`cell_table`'s)."""
    return _cell_pairs(snap, snap.key, source_bloc, target_bloc, bool(counted_only))


def cell_table(snap: Snapshot, source_bloc: str, target_bloc: str, counted_only: bool) -> pd.DataFrame:
    """The pairs behind one cell of a bloc matrix, labelled (crossref.views.cell_table)."""
    return _cell_table(snap, snap.key, source_bloc, target_bloc, bool(counted_only))


# Bounded: a filter keeping every pair holds a few MiB (strings are shared with the pairs table).
@st.cache_resource(show_spinner=False, max_entries=32)
def _equivalence_view(_snap: Snapshot, key: str, f: Any, limit: int) -> Any:
    from crossref.views import equivalence_view as build

    return build(_snap.results.pairs, _snap.results.corpus, f, limit)


def equivalence_view(snap: Snapshot, f: Any, limit: int) -> Any:
    """The Équivalences page's filtered pairs, table, selector options and labels (crossref.views)."""
    return _equivalence_view(snap, snap.key, f, limit)


@st.cache_resource(show_spinner=False, max_entries=8)
def _counts(_snap: Snapshot, key: str) -> dict[str, int]:
    return pair_counts(_snap.results.pairs)


def counts(snap: Snapshot) -> dict[str, int]:
    """pair_counts of the snapshot's pairs, once per version."""
    return _counts(snap, snap.key)


@st.cache_resource(show_spinner=False, max_entries=8)
def _pair_positions(_snap: Snapshot, key: str) -> dict:
    from crossref.views import pair_positions

    return pair_positions(_snap.results.pairs)


def has_pair(snap: Snapshot, source: str, target: str) -> bool:
    return (source, target) in _pair_positions(snap, snap.key)


def pair_row(snap: Snapshot, source: str, target: str) -> pd.Series:
    """The pairs-table row of (source, target), found in one lookup (KeyError when absent)."""
    from crossref.views import pair_row as row

    return row(snap.results.pairs, _pair_positions(snap, snap.key), source, target)


# ---------------------------------------------------------------- export bytes
_bytes_cache: dict[tuple[str, str], bytes] = {}
_BYTES_CACHE_MAX = 12


def _cached_bytes(kind: str, key: str, make: Callable[[], bytes]) -> bytes:
    k = (kind, key)
    if k not in _bytes_cache:
        if len(_bytes_cache) >= _BYTES_CACHE_MAX:
            _bytes_cache.pop(next(iter(_bytes_cache)))
        _bytes_cache[k] = make()
    return _bytes_cache[k]


def workbook_bytes(snap: Snapshot) -> bytes:
    """The Excel workbook of the run (crossref.export.xlsx), in memory."""
    from crossref.export.xlsx import results_workbook_bytes

    return _cached_bytes("xlsx", snap.key, lambda: results_workbook_bytes(snap.results))


def pairs_csv_bytes(snap: Snapshot) -> bytes:
    from crossref.export.tables import pairs_csv

    return _cached_bytes("csv", snap.key, lambda: pairs_csv(snap.results).encode("utf-8"))


def pairs_json_bytes(snap: Snapshot) -> bytes:
    from crossref.export.tables import pairs_json

    return _cached_bytes("json", snap.key, lambda: pairs_json(snap.results).encode("utf-8"))


def metadata_json_bytes(snap: Snapshot) -> bytes:
    from crossref.export.tables import export_metadata

    return (json.dumps(export_metadata(snap.results), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def sssom_bytes(snap: Snapshot) -> bytes:
    from crossref.export.sssom import render_sssom

    return _cached_bytes("sssom", snap.key, lambda: render_sssom(snap.results).encode("utf-8"))


def graphml_bytes(snap: Snapshot) -> bytes:
    """The equivalence graph as GraphML (crossref.graph), written in a staging file then read back."""
    def make() -> bytes:
        from crossref.graph import build_graph, write_graphml

        graph = build_graph(snap.results)
        with tempfile.TemporaryDirectory(prefix="crossref-graphml-") as tmp:
            path = Path(tmp) / "graphe.graphml"
            written = write_graphml(graph, path)
            return Path(written or path).read_bytes()

    return _cached_bytes("graphml", snap.key, make)


def passerelle_workbook_bytes(result: dict, corpus: Any) -> bytes:
    """A passerelle as an Excel workbook in French, through the officers' workbook writer."""
    from crossref.export.xlsx import passerelle_workbook_bytes as to_bytes

    return to_bytes(result, corpus)


# ---------------------------------------------------------------- VAE
@st.cache_resource(show_spinner=False, max_entries=64)
def _pair_explanation(_snap: Snapshot, key: str, source: str, target: str) -> tuple[dict, Any]:
    from crossref.explain import pair_contributions
    from crossref.figures import contribution_waterfall

    contrib = pair_contributions(_snap.results, source, target)
    return contrib, contribution_waterfall(contrib)


def pair_explanation(snap: Snapshot, source: str, target: str) -> tuple[dict, Any]:
    """(the pair model's contributions, their waterfall figure), once per results and pair."""
    return _pair_explanation(snap, snap.key, source, target)


def vae_decisions(config: Config, candidate: str, to_cert: str) -> pd.DataFrame:
    from crossref.vae import dossier_decisions

    return dossier_decisions(decision_store(config.db_url), candidate, to_cert)


def vae_decide(config: Config, candidate: str, to_cert: str, competence: str, action: str, reviewer: str,
               relation: str = "", evidence: str = "", note: str = "") -> dict:
    from crossref.vae import dossier_key

    return decision_store(config.db_url).vae_decide(dossier_key(candidate, to_cert), competence, action, reviewer,
                                                     relation=relation, evidence=evidence, note=note)


# ---------------------------------------------------------------- flash messages
def flash(message: str, kind: str = "success") -> None:
    """A message shown once, at the next run of the page (survives st.rerun())."""
    st.session_state.setdefault("_flash", []).append((kind, message))


def show_flash() -> None:
    for kind, message in st.session_state.pop("_flash", []):
        getattr(st, kind)(escape_markdown(message))  # messages quote ids, names, notes: plain text
