"""Text cleaning (ingest/normalize.py) and the Vietnamese text primitives
(ingest/vntext.py) that quotes, search and citations are built on."""

from __future__ import annotations

import unicodedata

import pytest

from ingest.headings import is_bullet, parse_label
from ingest.normalize import clean_text, to_blocks
from ingest.vntext import (
    is_acronym,
    spells,
    canonical_syllable,
    fold,
    folded_tokens,
    has_diacritics,
    numbers_in,
    search_tokens,
    sentence_spans,
    slugify,
    tokens,
    with_bigrams,
)

# ---------------------------------------------------------------------------
# clean_text: Unicode, look-alikes, whitespace


def test_nfd_input_becomes_nfc():
    nfc = "Tốc độ tăng trưởng kinh tế đạt 7,76%, đứng thứ 02 vùng Đông Nam Bộ"
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfd != nfc
    out = clean_text(nfd)
    assert out == nfc
    assert unicodedata.is_normalized("NFC", out)


def test_cyrillic_look_alikes_inside_vietnamese_words():
    # Cyrillic а (U+0430), о (U+043E), е (U+0435), с (U+0441), Н (U+041D) inside Vietnamese words
    mixed = "C\u0430o t\u043e\u0302\u0301c Bắc Nam, ti\u0435̂́n độ \u0441hậm, \u041dà Nội"
    assert any("\u0400" <= ch <= "\u04ff" for ch in mixed)
    out = clean_text(mixed)
    assert out == "Cao tốc Bắc Nam, tiến độ chậm, Hà Nội"
    assert not any("\u0400" <= ch <= "\u04ff" for ch in out)


def test_cyrillic_vowel_with_combining_tone_composes_to_the_vietnamese_letter():
    # Cyrillic а followed by a combining grave accent must become the single letter "à"
    out = clean_text("Đ\u0430\u0300 Nẵng")
    assert out == "Đà Nẵng"
    assert len(out) == len("Đà Nẵng")


@pytest.mark.parametrize("eth, expected", [("Ðông Lâm", "Đông Lâm"), ("ðất đai", "đất đai"), ("Ɖà Lạt", "Đà Lạt")])
def test_eth_becomes_d_stroke(eth, expected):
    assert clean_text(eth) == expected


def test_invisible_and_typographic_spaces():
    text = "Tổng\u00a0thu ngân\u200bsách\u00ad đạt\u202f412,6\u2009tỷ\u3000đồng\ufeff\u200c\u200d\u2060"
    assert clean_text(text) == "Tổng thu ngânsách đạt 412,6 tỷ đồng"


def test_whitespace_collapsed_lines_kept():
    text = "  I.   Kết quả\t\tchủ yếu  \r\n\r\n1.  Kinh   tế \rDòng\u2028mới\u2029cuối  "
    assert clean_text(text) == "I. Kết quả chủ yếu\n\n1. Kinh tế\nDòng\nmới\ncuối"


def test_control_characters_removed():
    assert clean_text("Thu\x00 ngân\x07 sách\x1b đạt\x7f 12 tỷ") == "Thu ngân sách đạt 12 tỷ"


# ---------------------------------------------------------------------------
# to_blocks: paragraphs, page breaks, headings


def test_lower_case_continuation_after_page_break_is_joined():
    text = "(2) Tập trung đầu tư hạ tầng. 6 tháng đầu năm, UBND\n\ntỉnh quyết liệt phối hợp với Bộ Giao thông vận tải."
    assert to_blocks(text) == [
        "(2) Tập trung đầu tư hạ tầng. 6 tháng đầu năm, UBND tỉnh quyết liệt phối hợp với Bộ Giao thông vận tải."
    ]


def test_lower_case_after_a_full_stop_is_not_joined():
    assert to_blocks("Đã hoàn thành kế hoạch năm.\n\nnăm 2045 là mốc quan trọng.") == [
        "Đã hoàn thành kế hoạch năm.",
        "năm 2045 là mốc quan trọng.",
    ]


def test_line_ending_with_comma_is_joined_even_before_a_capital():
    text = "UBND tỉnh chủ động thông tin đến các tầng lớp nhân dân, doanh nghiệp về công tác của UBND tỉnh,\n\nChủ tịch UBND tỉnh và hoạt động của các cơ quan."
    assert to_blocks(text) == [
        "UBND tỉnh chủ động thông tin đến các tầng lớp nhân dân, doanh nghiệp về công tác của UBND tỉnh, "
        "Chủ tịch UBND tỉnh và hoạt động của các cơ quan."
    ]


def test_heading_line_is_never_joined_to_the_next():
    assert to_blocks("1. Về kinh tế\nMột số chỉ tiêu kinh tế chủ yếu năm 2023 như sau:") == [
        "1. Về kinh tế",
        "Một số chỉ tiêu kinh tế chủ yếu năm 2023 như sau:",
    ]
    long_heading = "I. KẾT QUẢ THỰC HIỆN NHIỆM VỤ PHÁT TRIỂN KINH TẾ - XÃ HỘI NĂM 2023 CỦA HUYỆN ĐÔNG LÂM"
    assert 60 <= len(long_heading) <= 120
    assert to_blocks(f"{long_heading}\nNăm 2023, kinh tế của huyện tiếp tục tăng trưởng khá.") == [
        long_heading,
        "Năm 2023, kinh tế của huyện tiếp tục tăng trưởng khá.",
    ]


def test_long_heading_line_is_never_joined_to_the_next():
    heading = (
        "5. Về phối hợp công tác với Thường trực HĐND tỉnh, Đoàn Đại biểu Quốc hội tỉnh, "
        "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và các hội, đoàn thể tỉnh"
    )
    assert len(heading) > 120
    body = "UBND tỉnh, các sở, ngành, địa phương luôn phối hợp chặt chẽ, hiệu quả với các cơ quan."
    assert to_blocks(f"{heading}\n{body}") == [heading, body]


def test_a_wrapped_numbered_paragraph_runs_on_past_a_capitalised_body():
    # a hard-wrapped text layer; Vietnamese capitalises "Quốc hội" mid-sentence
    text = ("Điều 1. Công nhận danh sách các xã, phường thuộc vùng miền núi trên địa bàn tỉnh.\n"
            "Điều 2. Việc xác định xã,\n"
            "phường miền núi nêu trong danh sách kèm theo phục vụ công tác bầu cử đại biểu\n"
            "Quốc hội khóa XVI và đại biểu Hội đồng nhân dân các cấp nhiệm kỳ 2026-2031.\n"
            "Điều 3. Hiệu lực thi hành")
    blocks = to_blocks(text)
    assert blocks[1] == ("Điều 2. Việc xác định xã, phường miền núi nêu trong danh sách kèm theo phục vụ công tác "
                         "bầu cử đại biểu Quốc hội khóa XVI và đại biểu Hội đồng nhân dân các cấp nhiệm kỳ 2026-2031.")
    assert blocks[2] == "Điều 3. Hiệu lực thi hành"


def test_heading_is_not_appended_to_the_paragraph_before_it():
    text = "Công tác phối hợp giữa các sở, ngành chưa thật sự nhịp nhàng, đáp ứng yêu cầu,\n\n2. Tồn tại, hạn chế"
    assert to_blocks(text)[-1] == "2. Tồn tại, hạn chế"
    text = "Tiếp tục đẩy mạnh công tác xúc tiến đầu tư vào các khu công nghiệp trên địa bàn tỉnh trong\na) Sản xuất nông nghiệp"
    assert to_blocks(text)[-1] == "a) Sản xuất nông nghiệp"


def test_short_header_lines_are_not_joined():
    text = "ỦY BAN NHÂN DÂN\nHUYỆN ĐÔNG LÂM\nSố: 215/BC-UBND\nĐông Lâm, ngày 12 tháng 12 năm 2023\nBÁO CÁO"
    assert to_blocks(text) == [
        "ỦY BAN NHÂN DÂN",
        "HUYỆN ĐÔNG LÂM",
        "Số: 215/BC-UBND",
        "Đông Lâm, ngày 12 tháng 12 năm 2023",
        "BÁO CÁO",
    ]


def test_signature_block_lines_are_not_joined():
    assert to_blocks("TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\n\n\nTrần Tuệ Hiền") == [
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Trần Tuệ Hiền",
    ]


def test_hard_wrapped_prose_is_joined():
    text = (
        "Tổng thu ngân sách nhà nước trên địa bàn ước đạt 412,6 tỷ đồng, bằng 107,2%\n"
        "dự toán tỉnh giao, tăng 9,8% so với năm 2022; trong đó thu tiền sử dụng đất\n"
        "Đạt 168,3 tỷ đồng."
    )
    assert to_blocks(text) == [
        "Tổng thu ngân sách nhà nước trên địa bàn ước đạt 412,6 tỷ đồng, bằng 107,2% dự toán tỉnh giao, "
        "tăng 9,8% so với năm 2022; trong đó thu tiền sử dụng đất Đạt 168,3 tỷ đồng."
    ]


def test_bullets_and_table_rows_stay_separate():
    text = (
        "Năm 2023 đã giải ngân 7,1 tỷ đồng, cụ thể:\n"
        "- Hỗ trợ cơ giới hóa cho 46 máy cấy,\n"
        "+ vùng lúa chất lượng cao 1.250 ha;\n"
        "• Vùng bưởi đặc sản 320 ha\n"
        "| 1 | Tổng giá trị sản xuất | tỷ đồng |\n"
        "| 2 | Sản lượng lương thực | tấn |"
    )
    blocks = to_blocks(text)
    assert blocks == [
        "Năm 2023 đã giải ngân 7,1 tỷ đồng, cụ thể:",
        "- Hỗ trợ cơ giới hóa cho 46 máy cấy,",
        "+ vùng lúa chất lượng cao 1.250 ha;",
        "• Vùng bưởi đặc sản 320 ha",
        "| 1 | Tổng giá trị sản xuất | tỷ đồng |",
        "| 2 | Sản lượng lương thực | tấn |",
    ]


def test_bullet_cut_by_page_break_is_mended():
    text = "- Tiếp tục hỗ trợ sửa chữa nhà ở cho hộ nghèo, hoàn thành tu bổ Đình làng Phú Cường và đưa\n\nvào phục vụ Nhân dân trước Tết."
    assert to_blocks(text) == [
        "- Tiếp tục hỗ trợ sửa chữa nhà ở cho hộ nghèo, hoàn thành tu bổ Đình làng Phú Cường và đưa vào phục vụ Nhân dân trước Tết."
    ]


def test_blocks_never_empty_and_trimmed():
    blocks = to_blocks("\n\n   \n  Đoạn một.  \n\n\n\n  Đoạn hai.\n   \n")
    assert blocks == ["Đoạn một.", "Đoạn hai."]


def test_headings_module_labels_and_bullets():
    assert parse_label("2.1. Thu, chi ngân sách").label == "2.1"
    assert parse_label("2.1. Thu, chi ngân sách").id_part == "1"
    # a point printed after its clause's number ("2.1.a." under "2.1. Công tác chuẩn bị") is point a
    point = parse_label("2.1.a. Thành lập Ban Chỉ đạo thực hiện hỗ trợ nhà ở")
    assert (point.style, point.label, point.title) == ("letterdot", "a", "Thành lập Ban Chỉ đạo thực hiện hỗ trợ nhà ở")
    assert parse_label("(1) Tốc độ tăng trưởng").label == "(1)"
    assert parse_label("a) Sản xuất nông nghiệp").label == "a)"
    assert parse_label("Điều 12. Phát triển kinh tế số").label == "Điều 12"
    assert parse_label("PHẦN THỨ HAI").ordinal == 2
    assert parse_label("Chương IV. NHIỆM VỤ").ordinal == 4
    assert parse_label("- 2. Tăng thu") is None
    assert parse_label("Điều 8 của Kế hoạch này") is None
    assert parse_label("02/NQ-HĐND ngày 13/5/2024") is None
    assert parse_label("12.850 tỷ đồng") is None
    assert parse_label("(*Tỉ lệ thất nghiệp*)") is None
    assert is_bullet("- Lưu: VT.") and is_bullet("+ Vùng lúa") and is_bullet("• Nhận thức")
    assert not is_bullet("-5% so với cùng kỳ")


# ---------------------------------------------------------------------------
# vntext


def test_fold_strips_diacritics_and_d_stroke():
    assert fold("Tỷ lệ đạt") == "Ty le dat"
    assert fold("ĐÔNG NAM BỘ, Ưu tiên, hỗ trợ người nghèo") == "DONG NAM BO, Uu tien, ho tro nguoi ngheo"
    assert fold(unicodedata.normalize("NFD", "Bình Phước")) == "Binh Phuoc"
    assert has_diacritics("Bình Phước") and not has_diacritics("Binh Phuoc")


def test_tokens_keep_figures_dates_and_codes_whole():
    toks = tokens("GRDP ước tăng 7,76% tính đến 14/6/2024 theo Nghị quyết số 02/NQ-HĐND, hơn 2.346 văn bản")
    for whole in ("7,76%", "14/6/2024", "02/nq-hđnd", "2.346"):
        assert whole in toks
    assert "7" not in toks and "76" not in toks and "2024" not in toks
    assert toks[:3] == ["grdp", "ước", "tăng"]
    assert "17-ctr/tu" in tokens("Chương trình hành động số 17-CTr/TU ngày 30/9/2021")
    assert "nq-cp" in tokens("Nghị quyết NQ-CP")


def test_tokens_trailing_sentence_punctuation_is_not_part_of_a_figure():
    assert tokens("đạt 7,76%.") == ["đạt", "7,76%"]
    assert tokens("ngày 14/6/2024.") == ["ngày", "14/6/2024"]
    assert numbers_in("đạt 7,76%. Và 2.346 văn bản, 18.") == ["7,76%", "2.346", "18"]


@pytest.mark.parametrize(
    "a, b",
    [("tỷ lệ", "tỉ lệ"), ("Tỷ Lệ", "tỉ lệ"), ("kỹ thuật", "kĩ thuật"), ("lý do", "lí do"), ("quy hoạch", "qui hoạch"), ("mỹ thuật", "mĩ thuật")],
)
def test_y_and_i_spellings_merge(a, b):
    assert tokens(a) == tokens(b)


def test_y_that_is_not_a_spelling_variant_is_kept():
    assert canonical_syllable("y") == "y"           # "y tế": y alone is a word
    assert canonical_syllable("thúy") == "thúy"     # y after a vowel
    assert canonical_syllable("tay") == "tay"
    assert tokens("y tế") == ["y", "tế"]
    assert tokens("tỷ") != tokens("tay")


def test_folded_tokens_let_unaccented_queries_match():
    assert folded_tokens("Tỷ lệ hộ nghèo") == folded_tokens("ti le ho ngheo") == folded_tokens("ty le ho ngheo")
    assert folded_tokens("Đông Nam Bộ") == ["dong", "nam", "bo"]


def test_tokens_of_nfd_and_nfc_agree():
    text = "Tốc độ tăng trưởng kinh tế ước tăng 7,76%, đứng thứ 18 so với cả nước"
    assert tokens(unicodedata.normalize("NFD", text)) == tokens(text)


def test_with_bigrams():
    assert with_bigrams(["hộ", "nghèo", "giảm"]) == ["hộ", "nghèo", "giảm", "hộ_nghèo", "nghèo_giảm"]
    assert with_bigrams([]) == []


def test_sentence_spans_cut_at_sentence_ends_and_newlines():
    text = "Tăng 7,76%. TP. Hồ Chí Minh dẫn đầu! Có đúng không? Kết thúc\nDòng mới; mục hai: mục ba."
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces == [
        "Tăng 7,76%.",
        "TP. Hồ Chí Minh dẫn đầu!",
        "Có đúng không?",
        "Kết thúc",
        "Dòng mới; mục hai: mục ba.",
    ]


def test_a_line_a_page_break_cut_goes_on_with_its_sentence():
    # pdfplumber's text of a real report (BC SNV Lâm Đồng): the sentence's deadline is
    # on the line after the break, which starts with "...)"; a label or a capital starts anew.
    text = ("- Tham mưu ban hành Kế hoạch (như tỷ lệ cấp kết quả giải quyết TTHC điện tử\n\n"
            "...), hoàn thành chiến dịch trước ngày 10/12/2025.\n\n- Chủ trì kiểm tra\nb) giao Sở\n"
            "Cơ quan thực hiện\ntheo dõi, đôn đốc.")
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces[0].endswith("hoàn thành chiến dịch trước ngày 10/12/2025.")
    assert pieces[1:] == ["- Chủ trì kiểm tra", "b) giao Sở", "Cơ quan thực hiện\ntheo dõi, đôn đốc."]


def test_acronyms_are_spelled_by_their_syllables():
    assert is_acronym("BHYT") and is_acronym("ubnd") and not is_acronym("thẻ") and not is_acronym("nghiêng")
    assert spells("bhyt", "Thẻ bảo hiểm y tế do Bảo hiểm xã hội Quân đội phát hành")
    assert not spells("bhyt", "bảo hành y")


def test_sentence_spans_do_not_split_figures():
    text = "Thu ngân sách đạt 412,6 tỷ đồng, bằng 107,2% dự toán. Chi 1.250 tỷ đồng."
    pieces = [text[s:e] for s, e in sentence_spans(text)]
    assert pieces == ["Thu ngân sách đạt 412,6 tỷ đồng, bằng 107,2% dự toán.", "Chi 1.250 tỷ đồng."]


def test_sentence_spans_with_clauses():
    text = "Tỷ lệ hộ nghèo giảm còn 2,86%; tỷ lệ hộ cận nghèo còn 5,34%; lao động qua đào tạo đạt 68,5%. Xong."
    pieces = [text[s:e] for s, e in sentence_spans(text, clauses=True)]
    assert pieces == [
        "Tỷ lệ hộ nghèo giảm còn 2,86%;",
        "tỷ lệ hộ cận nghèo còn 5,34%;",
        "lao động qua đào tạo đạt 68,5%.",
        "Xong.",
    ]
    # without clauses the enumeration is one sentence
    assert len(sentence_spans(text)) == 2


def test_sentence_spans_are_trimmed_non_empty_and_ordered():
    text = "  Một câu.   \n\n  Hai câu!  \n   "
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == ["Một câu.", "Hai câu!"]
    assert all(s < e for s, e in spans)
    assert spans == sorted(spans)
    assert sentence_spans("") == [] and sentence_spans("  \n ") == []


def test_slugify():
    assert slugify("Báo cáo Đông Lâm 2023!") == "bao-cao-dong-lam-2023"
    assert slugify("Kế hoạch chuyển đổi số tỉnh Hòa Sơn giai đoạn 2025-2027", max_len=20) == "ke-hoach-chuyen-doi"
    assert slugify("!!!") == ""


def test_a_date_in_figures_and_in_words_is_one_search_term():
    # a question types "01/7/2026"; the decree prints "ngày 01 tháng 7 năm 2026"
    typed, printed = search_tokens("từ ngày 01/7/2026"), search_tokens("Từ ngày 01 tháng 7 năm 2026, mức lương")
    assert "1/7/2026" in typed and "1/7/2026" in printed
    assert "6/2026" in search_tokens("tháng 06/2026") and "6/2026" in search_tokens("tháng 6 năm 2026")
    # a document's number is not a date, nor is a day that no month has
    assert search_tokens("Nghị định số 161/2026/NĐ-CP")[-1] == "161/2026/nđ-cp"
    assert "45/7/2026" in search_tokens("45/7/2026")
