"""BTS référentiels extracted from PDF (NDRC, MCO) and their derived templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossref.errors import InputError
from crossref.parsing import bts, load_file, load_paths, template

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "extra" / "raw"
NDRC = RAW / "bts_ndrc_referentiel.txt"
MCO = RAW / "bts_mco_referentiel.txt"
SHARED = ROOT.parent / "shared" / "extra"


@pytest.fixture(scope="module")
def ndrc():
    (cert,) = load_file(NDRC)
    return cert


@pytest.fixture(scope="module")
def mco():
    (cert,) = load_file(MCO)
    return cert


@pytest.mark.skipif(not SHARED.is_dir(), reason="../shared not present")
@pytest.mark.parametrize("name", ["bts_ndrc_referentiel.txt", "bts_mco_referentiel.txt"])
def test_raw_copies_match_shared(name: str) -> None:
    assert (RAW / name).read_bytes() == (SHARED / name).read_bytes()


def test_sniff() -> None:
    assert bts.sniff(NDRC, NDRC.read_bytes()[:4096])
    assert bts.sniff(MCO, MCO.read_bytes()[:4096])
    assert not bts.sniff(Path("x.txt"), "Référentiel quelconque".encode())


def test_ndrc_metadata_and_blocs(ndrc) -> None:
    assert ndrc.id == "BTS_NDRC"
    assert ndrc.title == "BTS Négociation et Digitalisation de la Relation Client (NDRC)"
    assert (ndrc.register, ndrc.number, ndrc.level) == ("RNCP", "", "5")
    assert ndrc.certifier == "Ministère de l'Enseignement supérieur"
    assert not ndrc.indivisible
    assert [(b.id, b.title) for b in ndrc.blocs] == [
        ("BTS_NDRC:B1", "Relation client et négociation-vente"),
        ("BTS_NDRC:B2", "Relation client à distance et digitalisation"),
        ("BTS_NDRC:B3", "Relation client et animation de réseaux"),
        ("BTS_NDRC:B4", "Culture générale et expression"),
        ("BTS_NDRC:B5", "Langue vivante étrangère 1"),
        ("BTS_NDRC:B6", "Culture économique, juridique et managériale"),
    ]
    assert [b.description.split(";")[0] for b in ndrc.blocs] == [
        "Unité U4", "Unité U5", "Unité U6", "Unité U1", "Unité U2", "Unité U3",
    ]


def test_ndrc_competences(ndrc) -> None:
    assert [c.id for c in ndrc.competences] == [
        "BTS_NDRC:C1.1", "BTS_NDRC:C1.2", "BTS_NDRC:C1.3", "BTS_NDRC:C1.4",
        "BTS_NDRC:C2.1", "BTS_NDRC:C2.2", "BTS_NDRC:C2.3",
        "BTS_NDRC:C3.1", "BTS_NDRC:C3.2", "BTS_NDRC:C3.3",
        "BTS_NDRC:C4.1", "BTS_NDRC:C4.2", "BTS_NDRC:C4.3", "BTS_NDRC:C4.4", "BTS_NDRC:C4.5",
        "BTS_NDRC:C5.1", "BTS_NDRC:C5.2",
        "BTS_NDRC:C6.1", "BTS_NDRC:C6.2", "BTS_NDRC:C6.3", "BTS_NDRC:C6.4",
    ]
    assert [c.title for c in ndrc.competences_of("BTS_NDRC:B2")] == [
        "Maîtriser la relation client omnicanale",
        "Animer la relation client digitale",
        "Développer la relation client en e-commerce",
    ]
    c11 = ndrc.competence("BTS_NDRC:C1.1")
    assert c11.statement == (
        "Cibler et prospecter la clientèle : Analyser un portefeuille clients ; Identifier des cibles de clientèle ; "
        "Mettre en œuvre et évaluer une démarche de prospection ; Développer des réseaux professionnels"
    )
    assert ndrc.competence("BTS_NDRC:C4.3").statement == (
        "Culture générale et expression — Appréhender et réaliser un message écrit : Répondre de façon argumentée "
        "à une question posée en relation avec les documents proposés en lecture"
    )
    assert ndrc.competence("BTS_NDRC:C4.4").title == "S’adapter à la situation"
    assert ndrc.competence("BTS_NDRC:C5.1").title == "Compréhension de documents écrits"


def test_ndrc_criteria_per_competence(ndrc) -> None:
    assert len(ndrc.criteria) == 48
    assert not any(ndrc.shared_criteria(b.id) for b in ndrc.blocs)
    counts = [len(ndrc.own_criteria(c.id)) for c in ndrc.competences[:10]]
    assert counts == [5, 7, 5, 3, 8, 5, 3, 5, 2, 5]
    crit = ndrc.own_criteria("BTS_NDRC:C1.3")
    assert crit[1].id == "BTS_NDRC:C1.3/CR2"
    assert crit[1].text == "Efficacité de l’organisation au regard des contraintes logistiques, financières, commerciales"
    # General blocs have no criteria printed in this file.
    assert not ndrc.criteria_for(ndrc.competence("BTS_NDRC:C6.1"))


def test_ndrc_savoirs(ndrc) -> None:
    assert len(ndrc.savoirs) == 116
    assert all(s.kind == "savoir" for s in ndrc.savoirs)
    by_bloc = [sum(s.bloc_id == b for s in ndrc.savoirs) for b in ("BTS_NDRC:B1", "BTS_NDRC:B2", "BTS_NDRC:B3")]
    assert by_bloc == [37, 46, 33]
    texts = [s.statement for s in ndrc.savoirs]
    assert "Savoirs juridiques : Règlementation de la concurrence" in texts
    # A bullet the PDF put on a wrapped line is glued back.
    assert ("Savoirs rédactionnels : Procédés d’écriture et genre des écrits contractuels "
            "(contrats, conventions, clauses, engagements, normes, etc.)") in texts
    # Layout wraps "e-" + "commerce" are glued without a space.
    assert "Marketing : web marketing et e-commerce" in texts


def test_mco_metadata_and_blocs(mco) -> None:
    assert mco.id == "BTS_MCO"
    assert mco.title == "BTS Management Commercial Opérationnel (MCO)"
    assert mco.level == "5"
    assert mco.certifier == "Ministère de l'Enseignement supérieur"
    assert [(b.id, b.title) for b in mco.blocs] == [
        ("BTS_MCO:B1", "Développer la relation client et assurer la vente conseil"),
        ("BTS_MCO:B2", "Animer et dynamiser l’offre commerciale"),
        ("BTS_MCO:B3", "Assurer la gestion opérationnelle"),
        ("BTS_MCO:B4", "Manager l’équipe commerciale"),
        ("BTS_MCO:B5", "Culture générale et expression"),
        ("BTS_MCO:B6", "Langue vivante étrangère 1"),
        ("BTS_MCO:B7", "Culture économique, juridique et managériale"),
    ]
    assert mco.bloc("BTS_MCO:B6").description.startswith("Unités U21, U22")
    # Optional blocs (LV2, parcours à l'étranger, entrepreneuriat) are left out.
    assert not any("facultatif" in b.title.lower() or "Entrepreneuriat" in b.title for b in mco.blocs)


def test_mco_competences(mco) -> None:
    assert [c.id for c in mco.competences] == [
        "BTS_MCO:C1.1", "BTS_MCO:C1.2", "BTS_MCO:C1.3", "BTS_MCO:C1.4",
        "BTS_MCO:C2.1", "BTS_MCO:C2.2", "BTS_MCO:C2.3", "BTS_MCO:C2.4", "BTS_MCO:C2.5",
        "BTS_MCO:C3.1", "BTS_MCO:C3.2", "BTS_MCO:C3.3",
        "BTS_MCO:C4.1", "BTS_MCO:C4.2", "BTS_MCO:C4.3", "BTS_MCO:C4.4",
        "BTS_MCO:C5.1", "BTS_MCO:C5.2", "BTS_MCO:C5.3", "BTS_MCO:C5.4", "BTS_MCO:C5.5",
        "BTS_MCO:C6.1", "BTS_MCO:C6.2", "BTS_MCO:C6.3", "BTS_MCO:C6.4",
        "BTS_MCO:C7.1", "BTS_MCO:C7.2", "BTS_MCO:C7.3", "BTS_MCO:C7.4", "BTS_MCO:C7.5",
    ]
    assert mco.competence("BTS_MCO:C3.2").statement == (
        "Prévoir et budgétiser l’activité : Fixer des objectifs commerciaux ; Élaborer des budgets ; "
        "Participer aux décisions d’investissement"
    )
    assert mco.competence("BTS_MCO:C4.1").statement.endswith("Réaliser les plannings ; Respecter la législation")
    # LV1 is printed as two units (written / oral): merged, each activity once.
    assert [c.title for c in mco.competences_of("BTS_MCO:B6")] == [
        "Compréhension de documents écrits", "Production écrite",
        "Compréhension de l’oral", "Production et interactions orales",
    ]
    assert mco.competence("BTS_MCO:C7.3").statement == (
        "Culture économique, juridique et managériale — Proposer des solutions argumentées et mobilisant "
        "des notions et les méthodologies économiques, juridiques ou managériales"
    )


def test_mco_criteria_shared_by_bloc(mco) -> None:
    assert len(mco.criteria) == 52
    assert [len(mco.shared_criteria(f"BTS_MCO:B{n}")) for n in range(1, 5)] == [9, 11, 15, 17]
    assert not any(cr.competence_ids for cr in mco.criteria)
    first = mco.shared_criteria("BTS_MCO:B3")[0]
    assert first.id == "BTS_MCO:B3/CR1"
    assert first.text == "Les contraintes légales et réglementaires sont respectées."
    # Every competence of the bloc is evaluated by them.
    assert mco.criteria_for(mco.competence("BTS_MCO:C3.1")) == mco.shared_criteria("BTS_MCO:B3")
    assert len(mco.savoirs) == 52


@pytest.mark.parametrize("name", ["ndrc", "mco"])
def test_derived_templates_equal_parsed(name: str) -> None:
    raw = bts.parse(RAW / f"bts_{name}_referentiel.txt")
    csv_path = ROOT / "data" / "extra" / f"bts_{name}.csv"
    derived = template.parse(csv_path)
    assert [template.template_view(c) for c in derived] == [template.template_view(c) for c in raw], (
        f"{csv_path} is stale: regenerate with crossref.parsing.bts.derive_template"
    )


def test_derived_templates_regenerate_identically(tmp_path: Path) -> None:
    for name in ("ndrc", "mco"):
        out = bts.derive_template(RAW / f"bts_{name}_referentiel.txt", tmp_path / f"bts_{name}.csv")
        assert out.read_bytes() == (ROOT / "data" / "extra" / f"bts_{name}.csv").read_bytes()


def test_extra_folder_loads_the_derived_templates() -> None:
    certs = load_paths([ROOT / "data" / "extra"])
    assert [c.id for c in certs] == ["BTS_MCO", "BTS_NDRC"]
    assert sum(len(c.competences) for c in certs) == 51


# -- structure not found --------------------------------------------------------------


def _variant(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    p = tmp_path / source.name
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return p


def test_missing_certification_annex(tmp_path: Path) -> None:
    p = _variant(tmp_path, MCO, "## ANNEXE I b — RÉFÉRENTIEL DE CERTIFICATION", "## ANNEXE I b — AUTRE CHOSE")
    with pytest.raises(InputError, match="RÉFÉRENTIEL DE CERTIFICATION"):
        bts.parse(p)


def test_bloc_without_competence_names_line(tmp_path: Path) -> None:
    text = NDRC.read_text(encoding="utf-8")
    cut_from = text.index("COMPÉTENCE : Implanter")
    cut_to = text.index("Savoirs associés", cut_from)
    p = tmp_path / NDRC.name
    p.write_text(text[:cut_from] + text[cut_to:], encoding="utf-8")
    with pytest.raises(InputError) as info:
        bts.parse(p)
    assert "bloc 3" in str(info.value) and "COMPÉTENCE" in str(info.value)
    lines = p.read_text(encoding="utf-8").splitlines()
    assert lines[info.value.line - 1].startswith("Bloc 3 de compétences")


def test_criteria_outside_competence_names_line(tmp_path: Path) -> None:
    p = _variant(tmp_path, NDRC, "COMPÉTENCE : Implanter", "Compétence visée : Implanter")
    with pytest.raises(InputError) as info:
        bts.parse(p)
    assert "Critères de performance" in str(info.value)
    lines = p.read_text(encoding="utf-8").splitlines()
    assert "Critères de performance" in lines[info.value.line - 1]


def test_synthesis_bloc_not_detailed(tmp_path: Path) -> None:
    p = _variant(tmp_path, MCO, "Bloc de compétences n° 4 : Manager l’équipe commerciale",
                 "Autre rubrique : Manager l’équipe commerciale")
    with pytest.raises(InputError) as info:
        bts.parse(p)
    assert info.value.line is not None
    assert "4" in str(info.value)


def test_missing_general_bloc(tmp_path: Path) -> None:
    p = _variant(tmp_path, NDRC, "    Culture générale et expression\n    Appréhender",
                 "    Culture inconnue\n    Appréhender")
    with pytest.raises(InputError) as info:
        bts.parse(p)
    assert info.value.line is not None
