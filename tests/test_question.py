"""The question is read once: one analysis per question, shared by retrieval and answering."""

from __future__ import annotations

from assistant.document_names import named_documents
from assistant.question import QuestionAnalyzer


def test_one_question_costs_one_analysis(indexed, monkeypatch):
    calls: list[str] = []
    real = QuestionAnalyzer.analyze

    def counted(self, question, snapshot, focus="", doc_ids=None):
        calls.append(question)
        return real(self, question, snapshot, focus, doc_ids)

    monkeypatch.setattr(QuestionAnalyzer, "analyze", counted)
    answer = indexed.ask("ty le truong dat chuan quoc gia la bao nhieu")
    assert answer.found and "50,51%" in answer.answer
    assert calls == ["ty le truong dat chuan quoc gia la bao nhieu"]
    calls.clear()
    list(indexed.ask_stream("Tổng vốn đầu tư công đã giải ngân là bao nhiêu?"))
    assert len(calls) == 1


def test_the_analysis_restores_rewords_and_names_documents(indexed):
    snapshot = indexed.index.snapshot()
    analysis = indexed.analyzer.analyze("nghi quyet 57 ve ty le truong dat chuan quoc gia", snapshot)
    assert analysis.restored.startswith("nghị quyết 57 về tỷ lệ trường đạt chuẩn quốc gia")
    assert analysis.intent.percent or analysis.weights          # topic terms, weighted
    assert [(d.kind, d.number) for d in analysis.documents] == [("nghị quyết", "57")]


def test_documents_named_by_kind_and_number():
    found = named_documents("Theo Quyết định số 435/QĐ-UBND và Nghị định 74/2025/NĐ-CP, QĐ 844 thì sao?")
    assert [(d.kind, d.number, d.code) for d in found] == [
        ("quyết định", "435", "qd-ubnd"), ("nghị định", "74", "2025/nd-cp"), ("quyết định", "844", "")]   # codes folded, as they are compared


def test_a_place_is_named_whole_not_by_the_start_of_a_longer_name():
    from assistant.naming import named_reports
    from ingest.vntext import name_pairs

    places = {"phu-hoa": name_pairs("Phú Hòa"), "phu-hoa-dong": name_pairs("Phú Hòa Đông"), "tay-hoa": name_pairs("Tây Hòa")}
    names = {d: p | name_pairs("Báo cáo kinh tế - xã hội năm 2024") for d, p in places.items()}
    assert named_reports("Năm 2024 huyện Phú Hòa thu ngân sách bao nhiêu?", names, places) == {"phu-hoa"}
    assert named_reports("Năm 2024 xã Phú Hòa Đông thu ngân sách bao nhiêu?", names, places) == {"phu-hoa-dong"}
    # with no report of "Phú Hòa" itself, the longer name still answers to its start
    del places["phu-hoa"], names["phu-hoa"]
    assert named_reports("Năm 2024 huyện Phú Hòa thu ngân sách bao nhiêu?", names, places) == {"phu-hoa-dong"}
    # typed without diacritics, the longest place the question holds is the one it names
    places["phu-hoa"], names["phu-hoa"] = name_pairs("Phú Hòa"), name_pairs("Phú Hòa")
    assert named_reports("nam 2024 xa phu hoa dong thu ngan sach bao nhieu", names, places) == {"phu-hoa-dong"}
    assert named_reports("nam 2024 huyen phu hoa thu ngan sach bao nhieu", names, places) == {"phu-hoa"}


def test_questions_about_a_documents_closing_articles():
    from assistant.intent import read_intent
    asked = {
        "nghi quyet 100/nq-cp co hieu luc tu khi nao": "effect",
        "Quyết định 254/QĐ-UBND năm 2023 bắt đầu có hiệu lực từ lúc nào?": "effect",
        "Quyết định 1056/QĐ-CT thay thế quyết định nào?": "replaced",
        "Quyết định 798/QĐ-TTg thay thế quyết định số mấy?": "replaced",
        "Khi Nghị quyết 109/NQ-CP có hiệu lực, nghị quyết nào hết hiệu lực?": "replaced",
        "Giám đốc những sở nào có trách nhiệm thi hành Quyết định 986/QĐ-UBND?": "executors",
        # about the contents, not the document's own articles
        "giay uy quyen nhan tro cap co hieu luc toi da bao lau": "",
        "nghi dinh 38/2022 ve luong toi thieu het hieu luc tu ngay nao": "",
        "Thông tư 08/2019 được thay thế bởi thông tư nào?": "",
        "Theo Quyết định 169, những văn bản nào hết hiệu lực một phần?": "",
    }
    for question, clause in asked.items():
        assert read_intent(question).clause == clause, question


def test_what_bao_nhieu_counts():
    from assistant.intent import counted_word

    assert counted_word("Xã đó có bao nhiêu hộ nghèo?") == "ho"
    assert counted_word("bao nhieu nguoi duoc ho tro") == "nguoi"
    # a preposition after it: the counted noun is left out, an amount is asked
    assert counted_word("Thân nhân được trợ cấp một lần bao nhiêu theo Quyết định 40/2011?") == ""
    assert counted_word("Chủ tịch được bồi dưỡng bao nhiêu mỗi tháng?") == ""
    assert counted_word("duoc boi duong bao nhieu moi thang") == ""
    # with its marks, "chỗ" (a place) is a noun, not "cho"
    assert counted_word("Trường có bao nhiêu chỗ học?") == "cho"
