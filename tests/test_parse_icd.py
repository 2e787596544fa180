"""ICD RNCP 38938: year-4 text and mind-map export merged into one certification."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from crossref.errors import InputError
from crossref.model import Certification
from crossref.parsing.icd import parse_icd

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
TEXT = RAW / "icd_rncp38938_annee4.txt"
MINDMAP = RAW / "icd_rncp38938_mindmap.txt"
META = {
    "id": "ICD",
    "title": "Responsable marketing et de la relation client",
    "register": "RNCP",
    "number": "38938",
    "certifier": "ICD Business School",
    "level": "",
    "indivisible": False,
}
BLOC_SIZES = {1: 6, 2: 10, 3: 7, 4: 11}
EXPECTED_IDS = [f"ICD:C{b}.{n}" for b, size in BLOC_SIZES.items() for n in range(1, size + 1)]

# Criteria per competence, as counted by hand in the raw files.
CRITERIA_COUNTS = {
    "C1.1": 5, "C1.2": 5, "C1.3": 3, "C1.4": 6, "C1.5": 3, "C1.6": 3,
    "C2.1": 3, "C2.2": 4, "C2.3": 6, "C2.4": 6, "C2.5": 6, "C2.6": 2, "C2.7": 2, "C2.8": 5,
    "C2.9": 11, "C2.10": 6,
    "C3.1": 9, "C3.2": 6, "C3.3": 4, "C3.4": 13, "C3.5": 4, "C3.6": 5, "C3.7": 4,
    "C4.1": 5, "C4.2": 4, "C4.3": 6, "C4.4": 3, "C4.5": 4, "C4.6": 2, "C4.7": 3, "C4.8": 7,
    "C4.9": 6, "C4.10": 1, "C4.11": 3,
}

HOURS_NOISE_RE = re.compile(
    r"face\s*[àa]\s*face|autonomie|e-?learning|\d+\s*(?:h|heures?)\b|\bheures?\b", re.IGNORECASE
)


def parse(text: Path = TEXT, mindmap: Path = MINDMAP) -> Certification:
    return parse_icd(text, mindmap, meta=dict(META))


@pytest.fixture(scope="module")
def icd() -> Certification:
    return parse()


def criteria_texts(cert: Certification, code: str) -> list[str]:
    return [cr.text for cr in cert.own_criteria(f"ICD:{code}")]


# -- structure --------------------------------------------------------------------
def test_counts_and_ids(icd: Certification) -> None:
    assert [b.id for b in icd.blocs] == ["ICD:B1", "ICD:B2", "ICD:B3", "ICD:B4"]
    assert [b.code for b in icd.blocs] == ["B1", "B2", "B3", "B4"]
    assert len(icd.competences) == 34
    assert [c.id for c in icd.competences] == EXPECTED_IDS
    assert [c.code for c in icd.competences] == [i.split(":")[1] for i in EXPECTED_IDS]
    for c in icd.competences:
        assert c.certification == "ICD"
        assert c.bloc_id == f"ICD:B{c.code[1]}"
    icd.validate()


def test_metadata(icd: Certification) -> None:
    assert (icd.id, icd.register, icd.number, icd.certifier) == ("ICD", "RNCP", "38938", "ICD Business School")
    assert icd.sources == [TEXT.name, MINDMAP.name]


def test_bloc_titles(icd: Certification) -> None:
    assert [b.title for b in icd.blocs] == [
        "Elaborer une stratégie marketing orientée client",
        "Piloter la relation client et le développement des ventes dans un contexte omnicanal",
        "Manager les ressources affecteées à la relation client",  # typo as printed
        "Déployer un projet Mkg Digital au service de la relation client et gérer la DATA Mkg",
    ]


def test_activities(icd: Certification) -> None:
    assert [a.id for a in icd.activities] == [f"ICD:A{n}" for n in range(1, 12)]
    assert [a.bloc_id for a in icd.activities] == ["ICD:B1"] * 2 + ["ICD:B2"] * 4 + ["ICD:B3"] * 3 + ["ICD:B4"] * 2
    a1 = icd.activity("ICD:A1")
    assert a1 is not None and a1.title == (
        "Diagnostic de l'entreprise, qualification de son marché cible et positionnement de son offre"
    )
    # "Activité 7" is titled "A.8. Mise en place..." in the mind map: the heading wins.
    a7 = icd.activity("ICD:A7")
    assert a7 is not None and a7.title == "Mise en place et suivi opérationnel d’une Supply Chain orientée client"
    by_activity = {a.id: [c.code for c in icd.competences if c.activity_id == a.id] for a in icd.activities}
    assert by_activity == {
        "ICD:A1": ["C1.1", "C1.2", "C1.3"],
        "ICD:A2": ["C1.4", "C1.5", "C1.6"],
        "ICD:A3": ["C2.1", "C2.2"],
        "ICD:A4": ["C2.3", "C2.4", "C2.5"],
        "ICD:A5": ["C2.6", "C2.7"],
        "ICD:A6": ["C2.8", "C2.9", "C2.10"],
        "ICD:A7": ["C3.1"],
        "ICD:A8": ["C3.2", "C3.3", "C3.4", "C3.5"],
        "ICD:A9": ["C3.6", "C3.7"],
        "ICD:A10": ["C4.1", "C4.2", "C4.3", "C4.4", "C4.5", "C4.6", "C4.7"],
        "ICD:A11": ["C4.8", "C4.9", "C4.10", "C4.11"],
    }


# -- content spot checks -----------------------------------------------------------
def test_titles_after_code(icd: Certification) -> None:
    assert icd.competence("ICD:C1.1").title == "Produire une veille stratégique"  # "c1.1"
    assert icd.competence("ICD:C1.3").title == "Définir une stratégie marketing centrée client"  # "C 1.3"
    assert icd.competence("ICD:C4.3").title == "Elaborer le cahier des charges CRM"  # "4.3", no "C"
    assert icd.competence("ICD:C2.10").title == "Elaborer les principaux éléments de Content Marketing"


def test_statement_c1_1(icd: Certification) -> None:
    assert icd.competence("ICD:C1.1").statement == (
        "Produire une veille stratégique en identifiant les sources d’information fiables et actualisées, "
        "en sélectionnant les outils de collecte d’information les plus appropriés pour réaliser un "
        "diagnostic stratégique de l’entreprise afin de déterminer et anticiper les grandes tendances des "
        "comportements d’achats et attentes du marché, les évolutions de l’environnement de l’organisation "
        "y compris concurrentiel, ainsi que les nouvelles tendances et innovations en matière de relation client."
    )


def test_statement_c2_3_without_hours(icd: Certification) -> None:
    # Printed "...et le ROI16 heures de face à face" in both files.
    assert icd.competence("ICD:C2.3").statement == (
        "Détecter des opportunités d’affaires, en identifiant les signaux de l’environnement de l’entreprise, "
        "en analysant et qualifiant le portefeuille clients et prospects, en effectuant une veille sur les "
        "appels d’offre pour identifier de nouvelles cibles de prospection et gagner des parts de marché et "
        "en ayant anticipé la rentabilité potentielle du projet de développement d’affaires et le ROI"
    )


def test_statement_c3_6_wrapped_in_mindmap(icd: Certification) -> None:
    assert icd.competence("ICD:C3.6").statement == (
        "Établir et suivre les budgets alloués au développement de la relation client, en prenant en compte "
        "l’ensemble des ressources financières (partenaires, fournisseurs, outils, plateformes) nécessaires au "
        "bon fonctionnement des actions mises en œuvre, en élaborant des indicateurs et tableaux de bord "
        "permettant d’analyser les tendances, et éventuellement proposer des ajustements en cas d’écarts "
        "constatés."
    )


def test_statement_c4_1_wrapped_in_mindmap(icd: Certification) -> None:
    assert icd.competence("ICD:C4.1").statement == (
        "Réaliser un diagnostic de la maturité digitale de l’entreprise, en analysant notamment les parcours "
        "clients (points de contacts, points de rupture, suivi des retours…), les technologies utilisées et "
        "les pratiques concurrentielles, en s’appuyant sur une veille portant sur les nouvelles solutions "
        "digitales et opportunités de développement marketing adaptées au couple produit /client pour proposer "
        "à sa direction une stratégie de marketing digital améliorant la relation client"
    )


def test_criteria_counts(icd: Certification) -> None:
    counts = {c.code: len(icd.own_criteria(c.id)) for c in icd.competences}
    assert counts == CRITERIA_COUNTS
    assert len(icd.criteria) == sum(CRITERIA_COUNTS.values()) == 165


def test_criteria_ids_and_links(icd: Certification) -> None:
    for c in icd.competences:
        own = icd.own_criteria(c.id)
        assert [cr.id for cr in own] == [f"{c.id}/CR{k}" for k in range(1, len(own) + 1)]
        for cr in own:
            assert cr.competence_ids == [c.id]
            assert cr.bloc_id == c.bloc_id
            assert cr.text and cr.text == " ".join(cr.text.split())
            assert "§" not in cr.text


def test_glued_sentences_split(icd: Certification) -> None:
    # Printed "...déterminés.La stratégie marketing tient compte...".
    assert criteria_texts(icd, "C1.3") == [
        "La stratégie marketing proposée est adaptée aux segments de clients ou prospects déterminés.",
        "La stratégie marketing tient compte du business model de l’entreprise et des capacités de celle-ci "
        "(ressources humaines et financières).",
        "Les objectifs stratégiques et les éléments différenciants au regard de la concurrence sont clairement "
        "définis et hiérarchisés.",
    ]
    # Inside a "§" bullet: "...de l’entreprise.La rentabilité attendue...".
    c23 = criteria_texts(icd, "C2.3")
    assert c23[1] == "La rentabilité attendue de l’exploitation de ces opportunités est estimée avec justesse."
    # A sentence followed by ". " inside one bullet stays with it.
    assert criteria_texts(icd, "C2.4")[0] == (
        "Le fichier prospection est construit de manière rigoureuse. Les cibles du plan de prospection sont "
        "déterminées, qualifiées (besoins, comportement d’achat des prospects…) et hiérarchisées."
    )


def test_mindmap_layout_merged_into_text(icd: Certification) -> None:
    # The text file glues "dudiagnostic" and "manifesteL’argumentation"; the mind map
    # prints them on two lines, which separates the words and the two criteria.
    assert criteria_texts(icd, "C1.1")[1] == (
        "Ces informations permettent d’avoir un panorama complet pour l’élaboration du diagnostic de "
        "l’entreprise."
    )
    assert criteria_texts(icd, "C2.6") == [
        "La demande du client est contextualisée reformalisée et caractérisée. Les spécificités des attentes "
        "clients sont bien exprimées. La connaissance de l’interlocuteur est manifeste",
        "L’argumentation est en adéquation avec la demande du client et ses attentes. Elle met clairement en "
        "valeur les avantages concurrentiels de l’offre.",
    ]


def test_grouped_criteria_keep_their_label(icd: Certification) -> None:
    c34 = criteria_texts(icd, "C3.4")
    assert sum(t.startswith("Entretien annuel : ") for t in c34) == 6
    assert sum(t.startswith("Animation réunion de l’équipe commerciale : ") for t in c34) == 7
    assert c34[6] == (
        "Animation réunion de l’équipe commerciale : Les objectifs de la réunion sont clairement fixés"
    )
    assert criteria_texts(icd, "C3.5")[3] == (
        "Gestion de situations conflictuelles : La posture reste professionnelle durant la gestion de la "
        "situation conflictuelle (capacité d’écoute, calme, neutralité …)."
    )


def test_mindmap_only_criteria(icd: Certification) -> None:
    c31 = criteria_texts(icd, "C3.1")
    # Unbulleted lines between "§" bullets are criteria too.
    assert c31[3] == (
        "Les causes des problèmes ou axes d’amélioration de la supply chain sont correctement diagnostiqués"
    )
    assert c31[-1] == "Les exigences réglementaires sont intégrées dans les différentes préconisations"
    assert criteria_texts(icd, "C4.8")[-1] == (
        "La législation en vigueur est respectée (mentions légales, CGU, CGV…)"
    )
    assert criteria_texts(icd, "C4.9")[0] == (
        "La stratégie de référencement (SEO, SEA…) proposée est argumentée et permet de garantir une "
        "meilleure visibilité du site."
    )
    assert criteria_texts(icd, "C4.10") == [
        "Le choix des réseaux sociaux à utiliser et la stratégie éditoriale (contenus, formats, thématiques, "
        "planning de publication …) sont adaptés aux cibles"
    ]


def test_no_training_hours_noise(icd: Certification) -> None:
    texts = [(c.id, t) for c in icd.competences for t in (c.title, c.statement)]
    texts += [(cr.id, cr.text) for cr in icd.criteria]
    texts += [(a.id, a.title) for a in icd.activities]
    for item_id, text in texts:
        assert not HOURS_NOISE_RE.search(text), (item_id, text)
    # The hours were glued to the last word: "client16 heures...", "business.32 heures...".
    assert icd.competence("ICD:C2.1").statement.endswith("pour renforcer l’engagement client")
    assert icd.competence("ICD:C2.2").statement.endswith("sociétal des actions envisagées")
    assert icd.competence("ICD:C2.5").statement.endswith("de leur performance business.")


def test_no_export_noise(icd: Certification) -> None:
    dump = json.dumps(icd.to_dict(), ensure_ascii=False)
    for noise in ("Categorieën", "geleden", "Burel", "année", "Titre ICD", "Critères d'évaluation"):
        assert noise not in dump


# -- modalities -----------------------------------------------------------------------
def test_modalities(icd: Certification) -> None:
    mods = {m.id: m for m in icd.modalities}
    assert list(mods) == ["ICD:B1/M1", "ICD:B2/M1", "ICD:B2/M2", "ICD:B3/M1", "ICD:B3/M2", "ICD:B4/M1"]
    assert mods["ICD:B1/M1"].competence_ids == [f"ICD:C1.{n}" for n in range(1, 7)]
    assert mods["ICD:B2/M1"].title == "Modalités d'évaluation Activités 3, 4 et 6"
    assert mods["ICD:B2/M1"].competence_ids == [f"ICD:C2.{n}" for n in (1, 2, 3, 4, 5, 8, 9, 10)]
    assert mods["ICD:B2/M2"].competence_ids == ["ICD:C2.6", "ICD:C2.7"]
    for m in icd.modalities:
        assert m.bloc_id == m.id.split("/")[0]
        assert m.text and "  " not in m.text


def test_modalities_blocs_3_and_4(icd: Certification) -> None:
    b3 = [m for m in icd.modalities if m.bloc_id == "ICD:B3"]
    assert [m.title for m in b3] == [
        "Modalités d'évaluation 3.1, 3.2, 3.6 et 3.7",
        "Modalités d'évaluation 3.4 et 3.5",
    ]
    # The heading omits 3.3, the body names it ("Compétences 3.1, 3.2 et 3.3, 3.6 et 3.7").
    assert b3[0].competence_ids == ["ICD:C3.1", "ICD:C3.2", "ICD:C3.3", "ICD:C3.6", "ICD:C3.7"]
    assert b3[1].competence_ids == ["ICD:C3.4", "ICD:C3.5"]
    assert "\n- Présenter la stratégie d’achats de l’entreprise.\n" in b3[0].text
    (b4,) = [m for m in icd.modalities if m.bloc_id == "ICD:B4"]
    assert b4.title == "Modalités d'évaluation"  # bloc 4 prints its body with no heading
    assert b4.competence_ids == [f"ICD:C4.{n}" for n in range(1, 12)]
    assert b4.text.startswith("Évaluation certificative individuelle sous la forme de l’élaboration d’un rapport")
    for comp in icd.competences:
        assert icd.modalities_for(comp), comp.id
        for cr in icd.own_criteria(comp.id):
            assert cr.modality_ids == [m.id for m in icd.modalities_for(comp)]


def test_modality_keeps_text_only_in_one_file(icd: Certification) -> None:
    b2 = icd.modalities[1]
    # This sentence is only in the year-4 text; bullets come from the mind map's lines.
    assert "\nDéfinir les moyens nécessaires (humains, technologiques, financier, organisationnel…) " in b2.text
    assert "\n- La réponse à des avis clients portant atteinte à l’image de marque de l’entreprise et à sa " \
           "e-réputation.\n" in b2.text


# -- loud failures -------------------------------------------------------------------
def mutate(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    out = tmp_path / source.name
    out.write_text(text.replace(old, new), encoding="utf-8")
    return out


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        # heading removed: its statement and criteria would silently join C4.6
        ("C 4.5 Concevoir un plan d'action du déploiement de la stratégie digitale\n", "", "C4.5"),
        # garbled codes, in blocs only the mind map holds and in blocs both files hold
        ("C 3.3 Manager les équipes", "C 3,3 Manager les équipes", "C3.3"),
        ("C 2.4 Elaborer et piloter", "Cx 2.4 Elaborer et piloter", "C2.4"),
        ("c1.1 Produire une veille", "cl.1 Produire une veille", "C1.1"),
        # a wrong number leaves a gap
        ("C 3.2 Organiser le service", "C 3.9 Organiser le service", "C3.2"),
        # same code twice with different content
        ("4.3 Elaborer le cahier des charges CRM", "4.2 Elaborer le cahier des charges CRM", "C4.2"),
        # a competence printed under the wrong bloc
        ("C 4.11 Proposer des mesures", "C 3.11 Proposer des mesures", "C3.11"),
        # the two printings disagree on a word
        ("Le plan proposé est omnicanal et les canaux", "Le plan proposé est multicanal et les canaux", "C1.4"),
        ("pour servir le business model global", "pour servir le modèle global", "C1.3"),
    ],
)
def test_garbled_mindmap_fails_loudly(tmp_path: Path, old: str, new: str, message: str) -> None:
    bad = mutate(tmp_path, MINDMAP, old, new)
    with pytest.raises(InputError) as exc:
        parse(mindmap=bad)
    assert exc.value.path == str(bad)
    assert exc.value.line is not None
    assert message in str(exc.value)


def test_garbled_heading_inside_an_activity_fails(tmp_path: Path) -> None:
    # "Cz 3.5" is not a heading: its text lands after the title of "Activité 8".
    bad = mutate(tmp_path, MINDMAP, "C 3.5 Gérer les situations", "Cz 3.5 Gérer les situations")
    with pytest.raises(InputError, match="activité 8") as exc:
        parse(mindmap=bad)
    assert exc.value.path == str(bad) and exc.value.line == 172


def test_garbled_text_file_fails_loudly(tmp_path: Path) -> None:
    bad = mutate(tmp_path, TEXT, "C 1.5 Instaurer une culture client", "C 15 Instaurer une culture client")
    with pytest.raises(InputError, match="C1.5") as exc:
        parse(text=bad)
    assert exc.value.path == str(bad)


def test_missing_criteria_fails(tmp_path: Path) -> None:
    # C4.10's only criterion line removed: a competence without criteria is a parse failure here.
    lines = MINDMAP.read_text(encoding="utf-8").splitlines(keepends=True)
    (idx,) = [i for i, line in enumerate(lines) if "Le choix des réseaux sociaux à utiliser" in line]
    bad = tmp_path / MINDMAP.name
    bad.write_text("".join(lines[:idx] + lines[idx + 1:]), encoding="utf-8")
    with pytest.raises(InputError, match="C4.10") as exc:
        parse(mindmap=bad)
    assert exc.value.line == 353


def test_sentence_in_one_file_only_is_merged(tmp_path: Path) -> None:
    extra = "Un critère présent seulement dans la carte mentale."
    good = mutate(tmp_path, MINDMAP, "Les actions sont planifiées selon les cibles prioritaires.\n",
                  f"Les actions sont planifiées selon les cibles prioritaires.\n\n§ {extra}\n")
    cert = parse(mindmap=good)
    assert criteria_texts(cert, "C2.4")[4] == extra
    assert len(cert.own_criteria("ICD:C2.4")) == CRITERIA_COUNTS["C2.4"] + 1


# -- determinism / integration ---------------------------------------------------------
def test_deterministic(icd: Certification) -> None:
    again = parse()
    assert again.to_dict() == icd.to_dict()
    assert json.dumps(again.to_dict(), ensure_ascii=False) == json.dumps(icd.to_dict(), ensure_ascii=False)
    assert Certification.from_dict(icd.to_dict()).to_dict() == icd.to_dict()


def test_manifest_build() -> None:
    pytest.importorskip("crossref.parsing.rncp_table")  # seeds imports every seed parser
    from crossref.parsing.seeds import build, read_manifest

    (source,) = [s for s in read_manifest(RAW / "sources.json") if s.id == "ICD"]
    assert build(source).to_dict() == parse().to_dict()
