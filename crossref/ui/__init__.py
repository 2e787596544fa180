"""The Streamlit dashboard (``make app``): one navigation, French pages calling the library.

Pages live in :mod:`crossref.ui.pages` (each file is a Streamlit page script);
:mod:`crossref.ui.state` holds the cached loaders they share. Nothing here
scores anything: every number comes from the library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

PAGES_DIR = Path(__file__).resolve().parent / "pages"


@dataclass(frozen=True)
class PageSpec:
    file: str       # file name in crossref/ui/pages
    title: str      # French title shown in the navigation
    url_path: str   # URL of the page ("" for the default page)
    icon: str

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file

    @property
    def app_relative(self) -> str:
        """Path relative to app.py (what AppTest.switch_page expects)."""
        return f"crossref/ui/pages/{self.file}"


PAGES: list[PageSpec] = [
    PageSpec("overview.py", "Vue d'ensemble", "vue-ensemble", ":material/dashboard:"),
    PageSpec("matrices.py", "Matrices de recouvrement", "matrices", ":material/grid_on:"),
    PageSpec("equivalences.py", "Équivalences", "equivalences", ":material/compare_arrows:"),
    PageSpec("graph.py", "Graphe et clusters", "graphe", ":material/hub:"),
    PageSpec("passerelles.py", "Passerelles / VAE", "passerelles", ":material/route:"),
    PageSpec("exports.py", "Exports", "exports", ":material/download:"),
    PageSpec("importer.py", "Importer un référentiel", "importer", ":material/upload_file:"),
    PageSpec("registre.py", "Registre", "registre", ":material/travel_explore:"),
]

APP_TITLE = "crossref — certifications comparées"

__all__ = ["PAGES", "PAGES_DIR", "PageSpec", "APP_TITLE"]
