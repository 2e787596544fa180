"""A synthetic France Compétences export of any size, for tests and benchmarks.

The real open-data export cannot be downloaded here. This writes one in the
same format (``FICHES/FICHE`` with ``NUMERO_FICHE``, ``INTITULE``, ``ACTIF``,
``NOMENCLATURE_EUROPE/NIVEAU``, certifiers and ``BLOCS_COMPETENCES`` whose
``LISTE_COMPETENCES`` is escaped HTML or CDATA, coded « C1.2 » lines or
uncoded bullets; RS fiches with ``CAPACITES_ATTESTEES`` only) and the CSV
export's blocs file. Competences are French sentences « verbe + objet +
contexte + finalité »; fiches belong to families that share a pool of
competences (reworded), so that search has real overlaps to find. The file
is written as it is generated: memory stays small whatever its size.
Deterministic for a given seed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

VERBS = [
    "Analyser", "Concevoir", "Élaborer", "Piloter", "Mettre en place", "Évaluer", "Organiser", "Négocier",
    "Déployer", "Superviser", "Animer", "Contrôler", "Diagnostiquer", "Planifier", "Coordonner", "Réaliser",
    "Optimiser", "Accompagner", "Sécuriser", "Développer", "Rédiger", "Conduire", "Gérer", "Identifier",
    "Présenter", "Former", "Installer", "Maintenir", "Préparer", "Vérifier",
]
SYNONYMS = {
    "Analyser": "Étudier", "Concevoir": "Imaginer", "Élaborer": "Construire", "Piloter": "Diriger",
    "Mettre en place": "Instaurer", "Évaluer": "Apprécier", "Organiser": "Structurer", "Négocier": "Discuter",
    "Déployer": "Étendre", "Superviser": "Encadrer", "Animer": "Mobiliser", "Contrôler": "Surveiller",
}
OBJECTS = [
    "la stratégie commerciale", "un plan de prospection", "le budget prévisionnel", "une équipe de vente",
    "les réclamations des clients", "un tableau de bord de suivi", "la politique de prix", "un appel d'offres",
    "le parcours client omnicanal", "une campagne de communication digitale", "la chaîne logistique",
    "les stocks de l'entrepôt", "un chantier de construction", "une installation électrique",
    "le système d'information", "un réseau informatique", "une base de données clients", "la paie des salariés",
    "le recrutement des collaborateurs", "un plan de formation", "la sécurité des personnes",
    "la qualité des produits", "un protocole de soins", "l'accueil des patients", "un projet d'aménagement",
    "la maintenance des équipements", "une ligne de production", "la comptabilité générale",
    "les obligations fiscales", "un contrat de prestation", "la relation avec les fournisseurs",
    "un événement professionnel", "une offre de formation", "la veille réglementaire", "un plan de continuité",
    "les risques professionnels", "un dossier de financement", "la gestion de trésorerie",
    "une application web", "un service de restauration",
]
CONTEXTS = [
    "en tenant compte des contraintes réglementaires", "en s'appuyant sur des outils numériques",
    "dans le respect des règles d'hygiène et de sécurité", "en lien avec la direction générale",
    "à partir d'un diagnostic de l'existant", "en mobilisant les parties prenantes",
    "dans un contexte international", "selon une démarche qualité", "en intégrant les enjeux de RSE",
    "en respectant le budget alloué", "au moyen d'indicateurs de performance", "en mode projet",
]
PURPOSES = [
    "afin d'améliorer la satisfaction des clients", "afin de développer le chiffre d'affaires",
    "afin de garantir la conformité", "afin de réduire les coûts", "afin d'assurer la continuité de service",
    "afin de fidéliser la clientèle", "afin de sécuriser les opérations", "afin d'atteindre les objectifs fixés",
    "pour accompagner la transformation de l'organisation", "pour renforcer la performance de l'équipe",
]
DOMAINS = [
    "commerce", "marketing", "logistique", "bâtiment", "électricité", "informatique", "ressources humaines",
    "santé", "industrie", "comptabilité", "hôtellerie-restauration", "sécurité", "formation", "transport",
]


@dataclass(frozen=True)
class ExportSummary:
    fiches: int
    active_fiches: int
    competences: int       # of the active fiches
    blocs: int
    path: Path
    blocs_csv: Path | None


def _sentence(rng: np.random.Generator) -> tuple[int, int, int, int]:
    return (int(rng.integers(len(VERBS))), int(rng.integers(len(OBJECTS))),
            int(rng.integers(len(CONTEXTS))), int(rng.integers(len(PURPOSES))))


def _render(parts: tuple[int, int, int, int], reword: bool) -> str:
    v, o, c, p = parts
    verb = SYNONYMS.get(VERBS[v], VERBS[v]) if reword else VERBS[v]
    return f"{verb} {OBJECTS[o]} {CONTEXTS[c]} {PURPOSES[p]}"


def write_fc_export(path: str | Path, n_fiches: int, *, competences: tuple[int, int] = (20, 40),
                    blocs: tuple[int, int] = (2, 6), families: int | None = None, inactive: float = 0.1,
                    rs_share: float = 0.15, seed: int = 0, blocs_csv: str | Path | None = None) -> ExportSummary:
    """Write a synthetic export of ``n_fiches`` fiches (and the blocs CSV when asked)."""
    path = Path(path)
    rng = np.random.default_rng(seed)
    families = families or max(1, n_fiches // 30)
    pools = [[_sentence(rng) for _ in range(80)] for _ in range(families)]
    n_comp = n_active = n_blocs = 0
    csv_file = open(blocs_csv, "w", encoding="utf-8", newline="") if blocs_csv else None
    writer = csv.writer(csv_file, delimiter=";") if csv_file else None
    if writer:
        writer.writerow(["Numero_Fiche", "Bloc_Competences_Code", "Bloc_Competences_Libelle"])
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write('<?xml version="1.0" encoding="UTF-8"?>\n<FICHES>\n  <VERSION_FLUX>4.1</VERSION_FLUX>\n')
            for i in range(n_fiches):
                is_rs = rng.random() < rs_share
                numero = f"RS{5000 + i}" if is_rs else f"RNCP{30000 + i}"
                active = rng.random() >= inactive
                fam = int(rng.integers(families))
                domain = DOMAINS[fam % len(DOMAINS)]
                k = int(rng.integers(competences[0], competences[1] + 1))
                picks = rng.choice(len(pools[fam]), size=min(k, len(pools[fam])), replace=False)
                sents = [_render(pools[fam][j], bool(rng.random() < 0.3)) for j in picks]
                n_b = 1 if is_rs else int(rng.integers(blocs[0], blocs[1] + 1))
                cuts = np.array_split(np.arange(len(sents)), n_b)
                out.write(f"  <FICHE>\n    <ID_FICHE>{i + 1}</ID_FICHE>\n    <NUMERO_FICHE>{numero}</NUMERO_FICHE>\n")
                out.write(f"    <INTITULE>{escape(f'Certification {domain} n° {i + 1}')}</INTITULE>\n")
                out.write(f"    <ETAT_FICHE>Publiée</ETAT_FICHE>\n    <ACTIF>{'Oui' if active else 'Non'}</ACTIF>\n")
                level = int(rng.integers(3, 8))
                out.write(f"    <NOMENCLATURE_EUROPE><NIVEAU>NIV{level}</NIVEAU></NOMENCLATURE_EUROPE>\n")
                out.write("    <CERTIFICATEURS><CERTIFICATEUR><NOM_CERTIFICATEUR>"
                          f"{escape(f'Organisme {fam}')}</NOM_CERTIFICATEUR></CERTIFICATEUR></CERTIFICATEURS>\n")
                if is_rs:
                    items = "".join(f"<li>{escape(s)}</li>" for s in sents)
                    out.write(f"    <CAPACITES_ATTESTEES>{escape('<ul>' + items + '</ul>')}</CAPACITES_ATTESTEES>\n")
                    out.write(f"    <MODALITES_EVALUATION>{escape('<p>Mise en situation.</p>')}</MODALITES_EVALUATION>\n")
                else:
                    out.write("    <BLOCS_COMPETENCES>\n")
                    for b, idx in enumerate(cuts, start=1):
                        code = f"{numero}BC{b:02d}"
                        title = f"Bloc {b} : {_render(pools[fam][picks[idx[0]]], False).split(' afin')[0]}" \
                            if len(idx) else f"Bloc {b}"
                        if b % 2:  # coded lines in CDATA
                            html = "".join(f"<p>C{b}.{n}. {s}</p>" for n, s in enumerate(
                                (sents[j] for j in idx), start=1))
                            body = f"<![CDATA[{html}]]>"
                        else:      # uncoded bullets, escaped HTML
                            html = "<p>Le candidat est capable de :</p><ul>" + "".join(
                                f"<li>{escape(sents[j])}</li>" for j in idx) + "</ul>"
                            body = escape(html)
                        out.write(f"      <BLOC_COMPETENCES>\n        <CODE>{code}</CODE>\n"
                                  f"        <LIBELLE>{escape(title)}</LIBELLE>\n"
                                  f"        <LISTE_COMPETENCES>{body}</LISTE_COMPETENCES>\n"
                                  f"        <MODALITES_EVALUATION>{escape('<p>Étude de cas.</p>')}"
                                  f"</MODALITES_EVALUATION>\n      </BLOC_COMPETENCES>\n")
                        if writer:
                            writer.writerow([numero, code, title])
                        if active:
                            n_blocs += 1
                    out.write("    </BLOCS_COMPETENCES>\n")
                out.write("  </FICHE>\n")
                if active:
                    n_active += 1
                    n_comp += len(sents)
                    n_blocs += 1 if is_rs else 0
            out.write("</FICHES>\n")
    finally:
        if csv_file:
            csv_file.close()
    return ExportSummary(n_fiches, n_active, n_comp, n_blocs, path, Path(blocs_csv) if blocs_csv else None)





class WordHashEmbedder:
    """A deterministic stand-in for a sentence model, for tests and benchmarks: no weights, any size.

    A text's vector is the normalised sum of one pseudo-random unit vector per
    word (seeded by the word's SHA-256), so texts sharing words are close, as
    with a real model, and 300,000 texts embed in seconds.
    """

    def __init__(self, dim: int = 64) -> None:
        self.dim = int(dim)
        self.name = f"synthetic-wordhash:dim={self.dim}"
        self._words: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        v = self._words.get(word)
        if v is None:
            import hashlib

            seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._words[word] = v
        return v

    def embed(self, texts) -> np.ndarray:
        import re

        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w{3,}", t.lower()):
                out[i] += self._word(w)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        np.divide(out, norms, out=out, where=norms > 0)
        return out

__all__ = ["ExportSummary", "WordHashEmbedder", "write_fc_export"]
