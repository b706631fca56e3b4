"""Author names as arXiv gives them ("Given Family") split into family, given names and
suffix, the way reference managers want them ("Family, Given").

Particles such as "van der" or "de" go with the family name ("van der Berg"), suffixes
("Jr.", "III") are kept apart, a name already written "Family, Given" is taken as it is,
and collaborations ("ATLAS Collaboration") stay one literal name.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from paperfeed.export.text import one_line
from paperfeed.render.mathtext import detex_text

PARTICLES = frozenset({
    "van", "von", "der", "den", "de", "del", "della", "dela", "di", "da", "dos",
    "das", "do", "du", "des", "le", "la", "ter", "ten", "zu", "zur", "af", "av", "bin",
    "ibn", "al", "el", "dei", "degli", "lo",
})
SUFFIXES = frozenset({"Jr.", "Jr", "Sr.", "Sr", "II", "III", "IV"})
_GROUP = re.compile(
    r"\b(collaboration|consortium|team|group|project|collective|initiative|committee)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Name:
    """One author. ``literal`` names (collaborations, single words) are kept whole in
    ``family``."""

    family: str
    given: str = ""
    suffix: str = ""
    literal: bool = False


def split_name(raw: str) -> Name:
    """Split one author as arXiv writes it: ``"Jan van der Berg Jr."`` becomes family
    ``van der Berg``, given ``Jan``, suffix ``Jr.``."""
    name = one_line(raw)
    if not name:
        return Name(family="", literal=True)
    if _GROUP.search(name):
        return Name(family=name, literal=True)
    if "," in name:
        parts = [p.strip() for p in name.split(",")]
        if len(parts) == 2 and parts[1] in SUFFIXES:  # "John Smith, Jr."
            inner = split_name(parts[0])
            return Name(inner.family, inner.given, parts[1], inner.literal)
        if len(parts) >= 3 and parts[1] in SUFFIXES:  # "Smith, Jr., John"
            return Name(parts[0], ", ".join(parts[2:]), parts[1])
        return Name(parts[0], ", ".join(p for p in parts[1:] if p))  # "Smith, John"
    tokens = name.split(" ")
    suffix = ""
    if len(tokens) > 2 and tokens[-1] in SUFFIXES:
        suffix = tokens.pop()
    if len(tokens) == 1:
        return Name(family=tokens[0], suffix=suffix)
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in PARTICLES:
        start -= 1
    return Name(" ".join(tokens[start:]), " ".join(tokens[:start]), suffix)


_FOLD = str.maketrans({"ø": "o", "Ø": "O", "ß": "ss", "ł": "l", "Ł": "L", "æ": "ae",
                       "Æ": "AE", "œ": "oe", "Œ": "OE", "đ": "d", "Đ": "D", "ð": "d",
                       "þ": "th", "ı": "i"})


def ascii_fold(text: str) -> str:
    """Lower-case ASCII letters and digits of the text, accents and TeX accents dropped
    (``Erd\\H{o}s`` and ``Erdős`` both give ``erdos``)."""
    decomposed = unicodedata.normalize("NFKD", detex_text(text).translate(_FOLD))
    return re.sub(r"[^a-z0-9]", "", decomposed.lower())
