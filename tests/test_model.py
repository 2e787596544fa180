"""The structured référentiel model: ids, lookups, integrity checks, serialisation, Corpus."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Callable

import pytest

from crossref.errors import InputError
from crossref.io import certification_json, read_certification_json
from crossref.model import (
    SCHEMA_VERSION,
    Activity,
    Bloc,
    Certification,
    Competence,
    Corpus,
    Criterion,
    Modality,
    make_id,
    split_id,
)
from crossref.referentiels import load_builtin, load_corpus

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def small_cert(cert_id: str = "EX") -> Certification:
    """Two blocs; criteria per competence, shared by a bloc, and modalities at both levels."""
    i = lambda code: make_id(cert_id, code)  # noqa: E731
    return Certification(
        id=cert_id,
        title="Certification d'essai",
        register="RNCP",
        number="12345",
        certifier="Organisme",
        level="6",
        sources=["essai.csv"],
        blocs=[
            Bloc(i("B1"), cert_id, "B1", "Vendre", "description du bloc 1"),
            Bloc(i("B2"), cert_id, "B2", "Fidéliser"),
        ],
        activities=[Activity(i("A1"), "A1", "Vente", i("B1"))],
        competences=[
            Competence(i("C1"), cert_id, "C1", "Accueillir", "Accueillir le client.", i("B1"), i("A1")),
            Competence(i("C2"), cert_id, "C2", "Conseiller", "Conseiller le client.", i("B1"), i("A1")),
            Competence(i("C3"), cert_id, "C3", "Relancer", "Relancer les clients inactifs.", i("B2")),
        ],
        savoirs=[Competence(i("S1"), cert_id, "S1", "Écoute", "Écoute active.", i("B2"), kind="savoir")],
        criteria=[
            Criterion(i("C1") + "/CR1", "Accueil conforme", i("B1"), "CR1", [i("C1")], [i("B1") + "/M1"]),
            Criterion(i("CR2"), "Critère commun à C1 et C2", i("B1"), "CR2", [i("C1"), i("C2")]),
            Criterion(i("CR3"), "Critère du bloc 2", i("B2"), "CR3"),
            Criterion(i("CR4"), "Autre critère du bloc 2", i("B2"), "CR4"),
        ],
        modalities=[
            Modality(i("B1") + "/M1", "Mise en situation", i("B1"), "M1", "Jeu de rôle", [i("C1")]),
            Modality(i("M2"), "Dossier écrit", i("B1"), "M2", "Dossier"),
            Modality(i("M3"), "Étude de cas", i("B2"), "M3", "Cas"),
        ],
    )


# -- ids ---------------------------------------------------------------------------------


def test_make_and_split_id() -> None:
    assert make_id("ICD", "C1.1") == "ICD:C1.1"
    assert split_id("ICD:C1.1") == ("ICD", "C1.1")
    assert split_id("EX:C1/CR2") == ("EX", "C1/CR2")
    for bad in ("ICD", "ICD:", ":C1", ""):
        with pytest.raises(ValueError):
            split_id(bad)


# -- serialisation --------------------------------------------------------------------------


def test_to_dict_from_dict_round_trip() -> None:
    cert = small_cert()
    cert.validate()
    data = cert.to_dict()
    assert data["schema_version"] == SCHEMA_VERSION
    assert list(data)[:2] == ["schema_version", "id"]
    back = Certification.from_dict(data)
    assert back == cert
    assert back.savoirs[0].kind == "savoir"
    assert isinstance(back.criteria[0], Criterion) and isinstance(back.modalities[0], Modality)
    # Through JSON text too, and deterministic.
    text = certification_json(cert)
    assert Certification.from_dict(json.loads(text)) == cert
    assert certification_json(back) == text


def test_json_file_round_trip(tmp_path: Path) -> None:
    p = tmp_path / "EX.json"
    p.write_text(certification_json(small_cert()), encoding="utf-8")
    assert read_certification_json(p) == small_cert()


def test_from_dict_defaults_for_missing_lists() -> None:
    cert = Certification.from_dict({"id": "X", "title": "T"})
    assert cert.blocs == [] and cert.competences == [] and cert.indivisible is False


def test_from_dict_refuses_other_schema_version_and_unknown_keys() -> None:
    data = small_cert().to_dict()
    with pytest.raises(ValueError, match="schema_version"):
        Certification.from_dict({**data, "schema_version": SCHEMA_VERSION + 1})
    with pytest.raises(TypeError):
        Certification.from_dict({**data, "colour": "blue"})
    bad = copy.deepcopy(data)
    bad["competences"][0]["colour"] = "blue"
    with pytest.raises(TypeError):
        Certification.from_dict(bad)


def test_read_certification_json_errors_name_the_file(tmp_path: Path) -> None:
    cases = {
        "broken.json": ('{"id": "X",\n', "JSON invalide"),
        "list.json": ("[]", "objet"),
        "unknown.json": ('{"id": "X", "title": "T", "colour": 1}', "référentiel JSON invalide"),
        "version.json": ('{"schema_version": 99, "id": "X", "title": "T"}', "schema_version"),
    }
    for name, (text, fragment) in cases.items():
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as info:
            read_certification_json(p)
        assert info.value.path == str(p) and fragment in str(info.value)
    latin = tmp_path / "latin.json"
    latin.write_bytes('{"id": "É"}'.encode("latin-1"))
    with pytest.raises(InputError, match="encodage"):
        read_certification_json(latin)
    with pytest.raises(InputError, match="lecture impossible"):
        read_certification_json(tmp_path / "absent.json")


@pytest.mark.parametrize("cert_id", ["ICD", "NEOMA", "RS", "CPMC"])
def test_builtin_json_round_trips_exactly(cert_id: str) -> None:
    path = DATA / "referentiels" / f"{cert_id}.json"
    cert = read_certification_json(path)
    cert.validate()
    assert Certification.from_dict(cert.to_dict()) == cert
    assert certification_json(cert).encode("utf-8") == path.read_bytes()


# -- validate ---------------------------------------------------------------------------------


def _set(attr_path: str, value) -> Callable[[Certification], None]:
    """Mutation ``collection[index].field = value`` written as ``"competences.0.bloc_id"``."""
    coll, index, name = attr_path.split(".")

    def mutate(cert: Certification) -> None:
        setattr(getattr(cert, coll)[int(index)], name, value)

    return mutate


DANGLING = {
    "competence -> bloc": (_set("competences.2.bloc_id", "EX:B9"), ["EX:C3", "EX:B9"]),
    "competence -> activity": (_set("competences.0.activity_id", "EX:A9"), ["EX:C1", "EX:A9"]),
    "savoir -> bloc": (_set("savoirs.0.bloc_id", "EX:B9"), ["EX:S1", "EX:B9"]),
    "activity -> bloc": (_set("activities.0.bloc_id", "EX:B9"), ["EX:A1", "EX:B9"]),
    "criterion -> bloc": (_set("criteria.2.bloc_id", "EX:B9"), ["EX:CR3", "EX:B9"]),
    "criterion -> competence": (_set("criteria.1.competence_ids", ["EX:C1", "EX:C9"]), ["EX:CR2", "EX:C9"]),
    "criterion -> modality": (_set("criteria.0.modality_ids", ["EX:M9"]), ["EX:C1/CR1", "EX:M9"]),
    "modality -> bloc": (_set("modalities.1.bloc_id", "EX:B9"), ["EX:M2", "EX:B9"]),
    "modality -> competence": (_set("modalities.0.competence_ids", ["EX:C9"]), ["EX:B1/M1", "EX:C9"]),
}


@pytest.mark.parametrize("case", list(DANGLING))
def test_validate_rejects_dangling_references(case: str) -> None:
    mutate, names = DANGLING[case]
    cert = small_cert()
    mutate(cert)
    with pytest.raises(ValueError) as info:
        cert.validate()
    for name in names:
        assert name in str(info.value)


def test_validate_rejects_duplicates_prefix_and_empty() -> None:
    cert = small_cert()
    cert.criteria[3].id = cert.criteria[2].id
    with pytest.raises(ValueError, match="duplicate id 'EX:CR3'"):
        cert.validate()
    cert = small_cert()
    cert.modalities[2].id = "EX:C1"  # ids are unique across kinds
    with pytest.raises(ValueError, match="duplicate"):
        cert.validate()
    cert = small_cert()
    cert.competences[0].id = "OTHER:C1"
    with pytest.raises(ValueError, match="prefix"):
        cert.validate()
    cert = small_cert()
    cert.competences[1].statement = "  "
    with pytest.raises(ValueError, match="EX:C2: empty statement"):
        cert.validate()
    cert = small_cert()
    cert.competences = []
    cert.criteria = [c for c in cert.criteria if not c.competence_ids]
    cert.modalities = [m for m in cert.modalities if not m.competence_ids]
    with pytest.raises(ValueError, match="no competences"):
        cert.validate()


def test_validate_accepts_every_builtin_and_extra_referentiel() -> None:
    corpus = load_corpus(DATA, [DATA / "extra", DATA / "templates" / "exemple_modele.csv",
                                ROOT / "tests" / "data" / "fc_fiche_sample.xml"])
    for cert in corpus:
        cert.validate()
    assert corpus.ids == ["ICD", "NEOMA", "RS", "CPMC", "BTS_MCO", "BTS_NDRC", "EXEMPLE", "RNCP99001"]


# -- Certification lookups ------------------------------------------------------------------


def test_certification_lookups() -> None:
    cert = small_cert()
    assert cert.label == "EX — Certification d'essai (RNCP 12345)"
    assert Certification("Y", "Sans numéro").label == "Y — Sans numéro"
    assert cert.bloc("EX:B2").title == "Fidéliser"
    assert cert.competence("EX:C2").title == "Conseiller"
    with pytest.raises(KeyError):
        cert.bloc("EX:B9")
    with pytest.raises(KeyError):
        cert.competence("EX:S1")  # savoirs are not competences
    assert cert.activity("EX:A1").title == "Vente"
    assert cert.activity("EX:A9") is None
    assert [c.id for c in cert.competences_of("EX:B1")] == ["EX:C1", "EX:C2"]
    assert [c.id for c in cert.competences_of("EX:B9")] == []


def test_criteria_and_modalities_of_a_competence() -> None:
    cert = small_cert()
    c1, c2, c3 = cert.competences
    assert [cr.id for cr in cert.own_criteria("EX:C1")] == ["EX:C1/CR1", "EX:CR2"]
    assert [cr.id for cr in cert.own_criteria("EX:C2")] == ["EX:CR2"]
    assert [cr.id for cr in cert.shared_criteria("EX:B2")] == ["EX:CR3", "EX:CR4"]
    assert cert.shared_criteria("EX:B1") == []
    # Own criteria first, then the bloc's shared ones.
    assert [cr.id for cr in cert.criteria_for(c3)] == ["EX:CR3", "EX:CR4"]
    assert [cr.id for cr in cert.criteria_for(c1)] == ["EX:C1/CR1", "EX:CR2"]
    # A competence named by a modality gets that one; others fall back to their bloc's unassigned ones.
    assert [m.id for m in cert.modalities_for(c1)] == ["EX:B1/M1"]
    assert [m.id for m in cert.modalities_for(c2)] == ["EX:M2"]
    assert [m.id for m in cert.modalities_for(c3)] == ["EX:M3"]


def test_builtin_structure_facts() -> None:
    certs = {c.id: c for c in load_builtin(DATA)}
    assert list(certs) == ["ICD", "NEOMA", "RS", "CPMC"]
    assert {k: len(c.competences) for k, c in certs.items()} == {"ICD": 34, "NEOMA": 21, "RS": 13, "CPMC": 37}
    assert {k: len(c.blocs) for k, c in certs.items()} == {"ICD": 4, "NEOMA": 5, "RS": 3, "CPMC": 5}
    rs = certs["RS"]
    assert rs.indivisible and rs.register == "RS"
    assert not any(c.indivisible for c in certs.values() if c.id != "RS")
    # RS: each activity is a bloc; its competences are numbered after the activity.
    assert [(c.id, c.bloc_id, c.activity_id) for c in rs.competences[:2]] == [
        ("RS:A1.1", "RS:B1", "RS:A1"), ("RS:A1.2", "RS:B1", "RS:A1"),
    ]
    assert all(not cr.competence_ids for cr in rs.criteria)  # RS criteria belong to the activity
    icd = certs["ICD"]
    assert (icd.register, icd.number) == ("RNCP", "38938")
    assert icd.sources == ["icd_rncp38938_annee4.txt", "icd_rncp38938_mindmap.txt"]
    assert [cr.id for cr in icd.own_criteria("ICD:C1.1")][:2] == ["ICD:C1.1/CR1", "ICD:C1.1/CR2"]
    cpmc = certs["CPMC"]
    assert [s.id for s in cpmc.savoirs] == ["CPMC:SC1", "CPMC:SC2", "CPMC:SC3", "CPMC:SC4"]
    assert all(s.kind == "savoir" for s in cpmc.savoirs)
    assert all(c.kind == "competence" for cert in certs.values() for c in cert.competences)


# -- Corpus -------------------------------------------------------------------------------------


def test_corpus_lookups() -> None:
    a, b = small_cert("EX"), small_cert("EY")
    corpus = Corpus([a, b])
    assert len(corpus) == 2 and list(corpus) == [a, b] and corpus.ids == ["EX", "EY"]
    assert corpus.certification("EY") is b
    assert corpus.competence("EY:C3") is b.competences[2]
    assert corpus.bloc("EX:B2") is a.blocs[1]
    assert corpus.certification_of("EY:C1") is b
    assert corpus.certification_of("EX:B1/M1") is a
    assert [c.id for c in corpus.competences()] == ["EX:C1", "EX:C2", "EX:C3", "EY:C1", "EY:C2", "EY:C3"]
    with pytest.raises(KeyError, match="known: EX, EY"):
        corpus.certification("EZ")
    with pytest.raises(KeyError, match="EX:C9"):
        corpus.competence("EX:C9")
    with pytest.raises(KeyError):
        corpus.competence("EX:S1")  # savoirs are not matched as competences
    with pytest.raises(KeyError, match="EX:B9"):
        corpus.bloc("EX:B9")
    with pytest.raises(ValueError):
        corpus.certification_of("no-colon")


def test_corpus_refuses_a_certification_twice() -> None:
    with pytest.raises(ValueError, match="loaded twice: EX"):
        Corpus([small_cert("EX"), small_cert("EY"), small_cert("EX")])


def test_real_corpus_lookup() -> None:
    corpus = load_corpus(DATA)
    assert len(corpus.competences()) == 105
    assert corpus.competence("ICD:C4.11").certification == "ICD"
    assert corpus.bloc("CPMC:B5").certification == "CPMC"
    assert corpus.certification_of("NEOMA:C21").title == "Manager relation client (MS)"


# -- the exploration notebook ----------------------------------------------------------------


def test_explore_notebook_is_valid_and_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """notebooks/explore.ipynb is nbformat 4 JSON, and its code cells run in order."""
    nb = json.loads((ROOT / "notebooks" / "explore.ipynb").read_text(encoding="utf-8"))
    assert nb["nbformat"] == 4 and nb["nbformat_minor"] >= 5
    assert nb["metadata"]["kernelspec"]["language"] == "python"
    ids = [c["id"] for c in nb["cells"]]
    assert len(set(ids)) == len(ids)
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert all(c["cell_type"] in {"code", "markdown"} and isinstance(c["source"], list) for c in nb["cells"])
    monkeypatch.chdir(tmp_path)  # the notebook must not depend on the current directory
    namespace: dict = {}
    for cell in code:
        exec(compile("".join(cell["source"]), "explore.ipynb", "exec"), namespace)
    assert len(namespace["df"]) == 105 + 5
    assert namespace["corpus"].ids == ["ICD", "NEOMA", "RS", "CPMC", "EXEMPLE"]
