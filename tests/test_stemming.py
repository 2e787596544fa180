"""The light French stemmer of VAE evidence: a verb meets its noun, by rules, not word lists."""

from crossref.stemming import matched_stems, stem, stems


def test_verb_and_noun_of_one_family_meet() -> None:
    for family in (["négocie", "négocier", "négociation", "négociations", "négocient"],
                   ["segmente", "segmentation", "segments"],
                   ["surveille", "surveiller", "surveillance"],
                   ["prospecte", "prospection", "prospects"],
                   ["recrute", "recrutement"],
                   ["concurrentes", "concurrentielle"],
                   ["organise", "organisation", "organiser"]):
        assert len(set(stems(" ".join(family)))) == 1, (family, stems(" ".join(family)))


def test_distinct_words_stay_apart() -> None:
    assert stem("client") != stem("clic")
    assert stem("segment") == stem("segmentation") and stem("client") == "client"  # « -ent » of a noun kept
    assert len(set(stems("veille vente vendeur"))) >= 2


def test_a_prefixed_verb_meets_its_base_only_when_the_base_is_known() -> None:
    known = {stem("veille"), stem("prix")}
    assert matched_stems("Je surveille les prix", known) == [stem("veille"), stem("prix")]
    assert matched_stems("Je surveille les prix", set()) == [stem("surveille"), stem("prix")]


def test_stop_words_and_short_words_dropped() -> None:
    assert stems("Je le fais et nous y allons") == [stem("fais"), stem("allons")]
