"""The thesaurus rewrites everyday words into the reports' own, and only those."""

from __future__ import annotations

import unicodedata

from vectorstore.lexical import LexicalIndex
from assistant.synonyms import PACKAGED, Thesaurus

THESAURUS = Thesaurus.parse("""
# == health ==
chích ngừa | tiêm ngừa => tiêm chủng | tiêm phòng
# a comment line, then a group whose first formal form no report uses
em bé => trẻ sơ sinh | trẻ em
bà con => nhân dân
thu hút đầu tư => xúc tiến đầu tư
giá xăng => giá xăng dầu
not a group line
""")

REPORTS = LexicalIndex([
    "Tỷ lệ trẻ em dưới 1 tuổi được tiêm chủng đầy đủ đạt 97,5%.",
    "Đẩy mạnh xúc tiến đầu tư; thu hút đầu tư vào khu công nghiệp.",
    "Bà con nông dân được hỗ trợ giống cây trồng.",
])


def test_groups_are_read_and_comments_skipped():
    assert THESAURUS.groups == 5


def test_unknown_everyday_words_become_the_reports_words():
    rewrite = THESAURUS.rewrite("Mấy phần trăm em bé được chích ngừa?", REPORTS)
    assert rewrite.text == "Mấy phần trăm trẻ em được tiêm chủng?"
    assert rewrite.replaced == (("em bé", "trẻ em"), ("chích ngừa", "tiêm chủng"))


def test_words_the_reports_use_are_kept():
    # "bà con" is in a report: the question's own words already match it.
    assert THESAURUS.rewrite("Bà con được hỗ trợ gì?", REPORTS).text == "Bà con được hỗ trợ gì?"


def test_a_known_phrase_also_gives_its_other_wording_as_a_variant():
    rewrite = THESAURUS.rewrite("Tỉnh sẽ làm gì để thu hút đầu tư?", REPORTS)
    assert rewrite.text == "Tỉnh sẽ làm gì để thu hút đầu tư?"
    assert rewrite.variants == ("Tỉnh sẽ làm gì để xúc tiến đầu tư?",)


def test_a_topic_no_report_covers_is_left_as_asked():
    # Neither "giá xăng" nor "giá xăng dầu" is in the reports: the answerer must still
    # see an unknown topic and refuse.
    question = "Giá xăng tháng 6 là bao nhiêu?"
    assert THESAURUS.rewrite(question, REPORTS).text == question


def test_without_diacritics_only_phrases_of_two_syllables_or_more_match():
    rewrite = THESAURUS.rewrite("bao nhieu em be duoc chich ngua", REPORTS, accented=False)
    assert rewrite.text == "bao nhieu trẻ em duoc tiêm chủng"
    one_syllable = Thesaurus.parse("xăng => xăng dầu\n")
    assert one_syllable.rewrite("gia xang", REPORTS, accented=False).text == "gia xang"


def test_empty_index_or_thesaurus_changes_nothing():
    assert THESAURUS.rewrite("chích ngừa", LexicalIndex([])).text == "chích ngừa"
    assert Thesaurus().rewrite("chích ngừa", REPORTS).text == "chích ngừa"


def test_packaged_thesaurus_is_well_formed():
    text = "\n".join(f.read_text(encoding="utf-8") for f in sorted(PACKAGED.glob("vi_synonyms*.txt")))
    assert unicodedata.normalize("NFC", text) == text
    groups = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    assert all(line.count("=>") == 1 for line in groups)
    for line in groups:
        left, right = line.split("=>")
        assert all(p.strip() for p in left.split("|")) and all(p.strip() for p in right.split("|")), line
    assert Thesaurus.packaged().groups == len(groups) > 500
