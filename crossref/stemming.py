"""A light French stemmer for matching what a candidate did to what a competence asks.

A VAE narrative says « je négocie », « je segmente », « je surveille » where the
référentiel says « négociation », « segmentation », « veille »: the same word
family in another part of speech. Works on folded words (lowercase, no accents,
see :func:`crossref.embed.lexical.fold`):

- inflection: plural, feminine, the common present / past / future / infinitive
  verb endings (« négocie », « négocions », « négocié », « négocier »);
- derivation: the noun and adjective suffixes that turn a verb into an
  activity (« -ation », « -ment », « -age », « -ance », « -tion », « -iel »…);
- a stem is then cut to :data:`MAX_STEM` characters (truncation works well for
  French retrieval: the family shares its first letters);
- :func:`unprefixed`: a word built with a French verbal prefix
  (« sur- », « re- », « pré- »…) also meets its base, so « surveiller » meets
  « veille » and « renégocier » meets « négociation ».

No list of words or synonyms: the same rules for every word.
"""

from __future__ import annotations

import re

from crossref.embed.lexical import STOP_WORDS, fast_fold

MIN_STEM = 4
MAX_STEM = 7

# Longest first; one is stripped. Folded (no accents): « -ité » is « -ite ».
_SUFFIXES = tuple(sorted("""
    ifications ification ifiees ifiee ifies ifie ifier
    issements issement ements ement ments ment
    ations ation itions ition utions ution tions tion sions sion
    ateurs ateur atrices atrice eurs eur euses euse
    ances ance ences ence
    ielles ielle iels iel elles elle
    ives ive ifs if
    ables able ibles ible
    ismes isme istes iste
    ites ite
    ages age
    ures ure
    erions eriez erons eront erais erait eraient erez era erai
    issons issez issent issant issait
    aient ait ais ant ions iez ons
    ees ee es
    er ir ez
    e s
""".split(), key=len, reverse=True))
# French verbal prefixes (« sur-veiller », « re-négocier », « pré-voir », « dé-finir »…).
PREFIXES = ("sur", "re", "pre", "de", "dis", "sous", "co", "en", "em", "inter", "auto")
_WORD = re.compile(r"[^\W\d_]+")


def _strip(word: str) -> str:
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= MIN_STEM:
            return word[: -len(suffix)]
    if word.endswith("ent") and len(word) - 3 >= MIN_STEM and word[-4] in "aeiouy":
        return word[:-3]  # « ils négocient »; not « segment », « client »
    return word


def stem(word: str) -> str:
    """The stem of one folded word (see the module docstring)."""
    return _strip(word)[:MAX_STEM]


def stems(text: str) -> list[str]:
    """Stems of the content words of ``text`` in order (stop words and short words dropped)."""
    return [stem(w) for w in _words(text)]


def _words(text: str) -> list[str]:
    return [w for w in _WORD.findall(fast_fold(text)) if len(w) > 2 and w not in STOP_WORDS]


def matched_stems(text: str, known: set[str] | dict[str, int]) -> list[str]:
    """Stems of ``text``'s content words; a word not ``known`` whose base after a French
    verbal prefix is known counts as that base (« surveille » → « veill », as « veille »)."""
    out = []
    for word in _words(text):
        full = _strip(word)
        key = full[:MAX_STEM]
        if key not in known:
            for prefix in PREFIXES:
                base = full[len(prefix):][:MAX_STEM]
                if full.startswith(prefix) and len(base) >= MIN_STEM and base in known:
                    key = base
                    break
        out.append(key)
    return out
