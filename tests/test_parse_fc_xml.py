"""France Compétences open-data XML."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossref.errors import InputError
from crossref.parsing import fc_xml, load_file
from crossref.parsing.fc_xml import html_lines, split_competences

SAMPLE = Path(__file__).resolve().parent / "data" / "fc_fiche_sample.xml"


def _xml(tmp_path: Path, body: str, name: str = "fiche.xml") -> Path:
    p = tmp_path / name
    p.write_text('<?xml version="1.0" encoding="UTF-8"?>\n' + body, encoding="utf-8")
    return p


def test_sample_fiche() -> None:
    (cert,) = load_file(SAMPLE)
    assert cert.id == "RNCP99001"
    assert cert.title == "Responsable du développement commercial (fiche d'exemple)"
    assert (cert.register, cert.number, cert.level) == ("RNCP", "99001", "6")
    assert cert.certifier == "ÉCOLE SUPÉRIEURE DE COMMERCE D'EXEMPLE"
    assert not cert.indivisible
    assert cert.sources == ["fc_fiche_sample.xml"]

    assert [b.id for b in cert.blocs] == ["RNCP99001:B1", "RNCP99001:B2"]
    assert [b.title for b in cert.blocs] == [
        "Analyser le marché et définir la stratégie commerciale",
        "Piloter l'action commerciale et manager une équipe",
    ]
    assert [b.description for b in cert.blocs] == [
        "Code France Compétences : RNCP99001BC01",
        "Code France Compétences : RNCP99001BC02",
    ]
    # Bloc 1 (escaped HTML, <ul><li>, generic intro dropped): generated codes.
    # Bloc 2 (CDATA, <p>C2.1. / C2.2 - / C2.3, <br/> and bullets): printed codes.
    assert [c.code for c in cert.competences] == ["B1C1", "B1C2", "B1C3", "C2.1", "C2.2", "C2.3"]
    assert [c.bloc_id for c in cert.competences] == ["RNCP99001:B1"] * 3 + ["RNCP99001:B2"] * 3

    c1 = cert.competence("RNCP99001:B1C1")
    assert c1.title == c1.statement == (
        "Réaliser une veille concurrentielle et sectorielle à l'aide d'outils numériques "
        "afin d'identifier les opportunités de développement"
    )
    # &nbsp; becomes a plain space
    assert cert.competence("RNCP99001:B1C2").statement == (
        "Segmenter le marché et sélectionner des cibles de clientèle prioritaires en fonction du potentiel commercial"
    )
    c21 = cert.competence("RNCP99001:C2.1")
    assert c21.title == "Élaborer le plan d'actions commerciales"
    assert c21.statement == (
        "Élaborer le plan d'actions commerciales : définir les actions de prospection et de fidélisation ; "
        "construire le budget commercial associé"
    )
    assert cert.competence("RNCP99001:C2.2").title == (
        "Négocier avec des clients grands comptes en tenant compte des enjeux de chaque partie"
    )
    assert cert.competence("RNCP99001:C2.3").statement == (
        "Animer et évaluer une équipe de commerciaux : fixer des objectifs individuels ; "
        "mesurer les performances au moyen d'un tableau de bord"
    )

    assert [m.id for m in cert.modalities] == ["RNCP99001:B1/M1", "RNCP99001:B2/M1"]
    assert cert.modalities[0].text == (
        "Étude de cas écrite à partir d'un dossier d'entreprise réelle.\n"
        "Soutenance orale devant un jury de professionnels."
    )
    assert cert.modalities[1].text.splitlines()[0] == (
        "Mise en situation professionnelle reconstituée : négociation simulée"
    )
    assert cert.modalities_for(c21) == [cert.modalities[1]]


def test_sniff() -> None:
    head = SAMPLE.read_bytes()[:4096]
    assert fc_xml.sniff(SAMPLE, head)
    assert fc_xml.sniff(Path("export.dat"), head)
    assert not fc_xml.sniff(Path("x.csv"), b"certification,")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<ul><li>Analyser</li><li>Concevoir</li></ul>", [("", "Analyser"), ("", "Concevoir")]),
        ("<p>C1. Analyser</p><p>C2 - Concevoir</p><p>C3.1 Évaluer</p>",
         [("C1", "Analyser"), ("C2", "Concevoir"), ("C3.1", "Évaluer")]),
        ("• Analyser<br>• Concevoir<br/>– Évaluer", [("", "Analyser"), ("", "Concevoir"), ("", "Évaluer")]),
        ("- Analyser\n- Concevoir\n* Évaluer", [("", "Analyser"), ("", "Concevoir"), ("", "Évaluer")]),
        ("C1 : Analyser<br>C1.2) Concevoir", [("C1", "Analyser"), ("C1.2", "Concevoir")]),
        ("<p>Compétences :</p><p>1. Analyser</p><p>2) Concevoir</p>", [("", "Analyser"), ("", "Concevoir")]),
    ],
)
def test_split_competences(html: str, expected: list[tuple[str, str]]) -> None:
    assert [(i.code, i.title) for i in split_competences(html)] == expected


def test_specific_heading_is_kept_as_context() -> None:
    items = split_competences("<p>Gestion de la relation client :</p><ul><li>Accueillir</li><li>Conseiller</li></ul>")
    assert [(i.title, i.context) for i in items] == [
        ("Accueillir", "Gestion de la relation client"),
        ("Conseiller", "Gestion de la relation client"),
    ]


def test_html_lines_entities_and_tables() -> None:
    assert html_lines("<table><tr><td>a&eacute;</td><td>b&#39;c</td></tr></table>") == ["aé", "b'c"]


def test_rs_fiche_single_root_without_blocs(tmp_path: Path) -> None:
    p = _xml(tmp_path, """<FICHE>
  <NUMERO_FICHE>RS5678</NUMERO_FICHE>
  <INTITULE>Optimiser la relation client</INTITULE>
  <CERTIFICATEURS><CERTIFICATEUR><NOM_CERTIFICATEUR>ORGANISME A</NOM_CERTIFICATEUR></CERTIFICATEUR>
  <CERTIFICATEUR><NOM_CERTIFICATEUR>ORGANISME B</NOM_CERTIFICATEUR></CERTIFICATEUR></CERTIFICATEURS>
  <CAPACITES_ATTESTEES>&lt;p&gt;Identifier les attentes du client&lt;/p&gt;&lt;p&gt;Traiter les objections&lt;/p&gt;</CAPACITES_ATTESTEES>
  <MODALITES_EVALUATION>Mise en situation filmée</MODALITES_EVALUATION>
</FICHE>""")
    (cert,) = load_file(p)
    assert (cert.id, cert.register, cert.number, cert.level) == ("RS5678", "RS", "5678", "")
    assert cert.indivisible
    assert cert.certifier == "ORGANISME A ; ORGANISME B"
    assert [b.id for b in cert.blocs] == ["RS5678:B1"] and cert.blocs[0].title == "Optimiser la relation client"
    assert [c.id for c in cert.competences] == ["RS5678:B1C1", "RS5678:B1C2"]
    assert [m.text for m in cert.modalities] == ["Mise en situation filmée"]


def test_literal_html_children_and_restarting_codes(tmp_path: Path) -> None:
    p = _xml(tmp_path, """<FICHES><FICHE><NUMERO_FICHE>RNCP12</NUMERO_FICHE><INTITULE>T</INTITULE>
<BLOCS_COMPETENCES>
<BLOC_COMPETENCES><CODE>RNCP12BC01</CODE><LIBELLE>Un</LIBELLE>
<LISTE_COMPETENCES><p>C1. Analyser</p><p>C2. Concevoir</p></LISTE_COMPETENCES></BLOC_COMPETENCES>
<BLOC_COMPETENCES><CODE>RNCP12BC02</CODE><LIBELLE>Deux</LIBELLE>
<LISTE_COMPETENCES><ul><li>C1. Manager</li></ul></LISTE_COMPETENCES></BLOC_COMPETENCES>
</BLOCS_COMPETENCES></FICHE></FICHES>""")
    (cert,) = load_file(p)
    assert [c.id for c in cert.competences] == ["RNCP12:C1", "RNCP12:C2", "RNCP12:B2C1"]
    assert cert.competence("RNCP12:B2C1").title == "Manager"


def test_malformed_xml_names_line(tmp_path: Path) -> None:
    p = _xml(tmp_path, "<FICHES>\n  <FICHE>\n    <INTITULE>Sans fin\n  </FICHE>\n</FICHES>\n")
    with pytest.raises(InputError) as info:
        fc_xml.parse(p)
    assert info.value.line == 5  # the declaration is line 1
    assert "XML mal formé" in str(info.value) and "ligne 5" in str(info.value)


def test_no_fiche(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="aucune fiche"):
        fc_xml.parse(_xml(tmp_path, "<AUTRE><X/></AUTRE>"))


def test_bloc_without_competences_names_line(tmp_path: Path) -> None:
    p = _xml(tmp_path, """<FICHES>
<FICHE><NUMERO_FICHE>RNCP7</NUMERO_FICHE><INTITULE>T</INTITULE>
<BLOCS_COMPETENCES>
<BLOC_COMPETENCES><CODE>RNCP7BC01</CODE><LIBELLE>Vide</LIBELLE>
<LISTE_COMPETENCES>&lt;p&gt;&lt;/p&gt;</LISTE_COMPETENCES>
</BLOC_COMPETENCES></BLOCS_COMPETENCES></FICHE></FICHES>""")
    with pytest.raises(InputError) as info:
        fc_xml.parse(p)
    assert info.value.line == 5
    assert "RNCP7BC01" in str(info.value) and "aucune compétence" in str(info.value)


def test_missing_or_bad_numero(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="NUMERO_FICHE"):
        fc_xml.parse(_xml(tmp_path, "<FICHE><INTITULE>T</INTITULE></FICHE>"))
    with pytest.raises(InputError, match="NUMERO_FICHE invalide"):
        fc_xml.parse(_xml(tmp_path, "<FICHE><NUMERO_FICHE>ABC</NUMERO_FICHE></FICHE>"))


def test_fiche_without_any_competence(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="sans bloc"):
        fc_xml.parse(_xml(tmp_path, "<FICHE><NUMERO_FICHE>RS1</NUMERO_FICHE><INTITULE>T</INTITULE></FICHE>"))


def test_entity_declarations_refused(tmp_path: Path) -> None:
    p = _xml(tmp_path, '<!DOCTYPE FICHES [<!ENTITY a "aaaaaaaaaa">]>\n<FICHES>&a;</FICHES>')
    with pytest.raises(InputError, match="entités"):
        fc_xml.parse(p)
