"""Proper names in a question, and the reports they name.

"UBND tỉnh Bình Phước sẽ làm gì ...": a question that names a report's place or issuer
is about that report, even when another report's words match it better. Names are runs
of capitalised words ("Bình Phước", "Hòa Sơn"); a report is named when every adjacent
pair of the run is in its title, place or issuer.
"""

from __future__ import annotations

import re

from ingest.vntext import has_diacritics, name_pairs


def proper_names(question: str) -> list[list[str]]:
    """Runs of two or more capitalised words, not counting the question's first word
    (capitalised as the start of a sentence) nor acronyms (UBND, GRDP). Punctuation
    separates names ("Bình Long, Chơn Thành" is two)."""
    runs: list[list[str]] = []
    for segment_no, segment in enumerate(re.split(r"[^\w\s]+", question)):
        current: list[str] = []
        for word_no, word in enumerate(segment.split() + [""]):
            sentence_start = segment_no == 0 and word_no == 0
            if word and word[0].isupper() and not word.isupper() and not sentence_start:
                current.append(word)
                continue
            if len(current) >= 2 and current[0].lower() not in _DOCUMENT_KINDS:
                runs.append(current)
            current = []
    return runs


# "Luật Bảo hiểm y tế", "Nghị định ...": a run opened by a kind of document names a
# document, not a place or a body whose report is asked about.
_DOCUMENT_KINDS = {"luật", "nghị", "quyết", "hiến", "kế", "đề"}




def name_runs(question: str) -> list[frozenset[str]]:
    """Each proper name of the question as its folded word pairs ("Vân Khê" -> {"van_khe"})."""
    return [name_pairs(" ".join(run)) for run in proper_names(question)]


def named_reports(question: str, names: dict[str, frozenset[str]],
                  places: dict[str, frozenset[str]] | None = None) -> set[str]:
    """The reports whose own names the question uses; empty when it names none, or all
    of them (then the name does not tell them apart). A report's place ("Hòa Sơn") is
    also recognised typed without diacritics or capitals ("hoa son")."""
    named: set[str] = set()
    for pairs in name_runs(question):
        hits = {doc for doc, own in names.items() if pairs <= own}
        if places and any(places.get(doc) == pairs for doc in hits):
            # A name is matched whole: where a report's place is "Phú Hòa" itself,
            # "Phú Hòa" does not name the report of "Phú Hòa Đông", another place.
            hits = {doc for doc in hits if not (places.get(doc) and pairs < places[doc])}
        named |= hits
    if places and not has_diacritics(question):
        # Only when typed without diacritics: folded, "đông lắm" would be "Đông Lâm".
        asked = name_pairs(question)
        found = {doc: place for doc, place in places.items() if place and place <= asked}
        # the longest name found wins: "vinh phuc bac" names Vĩnh Phúc Bắc, not Vĩnh Phúc
        named |= {doc for doc, place in found.items() if not any(place < other for other in found.values())}
    return named if named != set(names) else set()
