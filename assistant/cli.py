"""python -m assistant: ingest, ask, docs, delete, sections, eval, serve (see CONTRACT.md).

Exit status 0 on success, 2 on bad input with a one-line message on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections import Counter
from pathlib import Path

from assistant.models import Answer, Turn
from assistant.report_scope import ReportFilter
from assistant.settings import Settings
from ingest.loaders import InputError, load_path, load_text
from vectorstore.document_index import StoreError
from vectorstore.embeddings import EmbeddingError

USER_ERRORS = (InputError, StoreError, EmbeddingError)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:   # argparse's default prints usage over several lines
        raise InputError(f"{message} (xem --help / see --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m assistant", description="Trợ lý hỏi đáp báo cáo (offline)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("ingest", help="index .txt/.md/.docx/.pdf files, or - for stdin")
    p.add_argument("paths", nargs="+")
    p.add_argument("--title")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("ask", help="answer a question (or one per stdin line)")
    p.add_argument("question", nargs="?")
    p.add_argument("--json", action="store_true")
    p.add_argument("--doc", action="append", help="only this report (repeatable)")
    _filter_arguments(p)
    p.add_argument("--history", help="JSON file: [{question, answer}, ...] of earlier turns")

    p = sub.add_parser("docs", help="list indexed reports")
    p.add_argument("--json", action="store_true")
    _filter_arguments(p)

    p = sub.add_parser("delete", help="remove a report and all its chunks")
    p.add_argument("doc_id")

    p = sub.add_parser("sections", help="print the parsed section tree, indexing nothing")
    p.add_argument("path")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("eval", help="score a question set (several files: scored as one set)")
    p.add_argument("file", nargs="+")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("serve", help="start the Gradio app")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--seed", action="append", default=[], help="report(s) to index when the store is empty")
    return parser


def _service(settings: Settings):
    from assistant.services import AssistantService   # heavy imports only for commands that need them

    return AssistantService(settings)


def _print_answer(answer: Answer, as_json: bool) -> None:
    if as_json:
        print(answer.model_dump_json())
        return
    print(answer.answer)
    shown = set()
    for c in answer.citations:
        if (c.doc_id, c.section_id) not in shown:
            shown.add((c.doc_id, c.section_id))
            print(f"  [{c.section_id}] {c.doc_title} — {c.section_path} (điểm {c.score:.2f})")
    print()


def _read_history(path: str | None) -> list[Turn]:
    if not path:
        return []
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return [Turn.model_validate(t) for t in raw]
    except (OSError, ValueError) as exc:
        raise InputError(f"Không đọc được lịch sử hội thoại {path}: {exc} / invalid --history file") from exc


def _page_progress(path: str):
    """Pages read (or OCRed) so far, on stderr: stdout stays the result (and valid --json)."""
    def report(done: int, total: int, stage: str) -> None:
        if total > 1 or stage != "đọc":
            print(f"{Path(path).name}: {stage} trang {done}/{total}", file=sys.stderr, flush=True)
    return report


def cmd_ingest(args, settings: Settings) -> int:
    if args.title and len(args.paths) > 1:
        raise InputError("--title chỉ dùng với một tệp / --title needs exactly one file")
    service = _service(settings)
    for path in args.paths:
        if path == "-":
            loaded = load_text(sys.stdin.read(), "stdin", settings.max_upload_bytes)
        else:
            loaded = load_path(path, settings.max_upload_bytes, progress=_page_progress(path))
        result = service.ingest(loaded, title=args.title)
        if args.json:
            print(json.dumps(result.public(), ensure_ascii=False))
        else:
            r = result.record
            scan = " — văn bản nhận dạng từ bản quét (OCR)" if r.ocr else ""
            print(f"{result.status}: {r.doc_id} — {r.title} ({r.sections} mục, {r.chunks} đoạn){scan}")
    return 0


def _filter_arguments(p) -> None:
    p.add_argument("--place", default="", help="only reports of this place (tỉnh, huyện; diacritics optional)")
    p.add_argument("--kind", default="", help="only reports of this kind (báo cáo, kế hoạch, nghị quyết, ...)")
    p.add_argument("--year", default="", help="only reports covering this year")


def _filters(args) -> ReportFilter:
    return ReportFilter(args.place, args.kind, args.year)


def cmd_ask(args, settings: Settings) -> int:
    service = _service(settings)
    history = _read_history(args.history)
    if args.question is not None:
        _print_answer(service.ask(args.question, args.doc, history, _filters(args)), args.json)
        return 0
    status = 0
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            _print_answer(service.ask(line.strip(), args.doc, history, _filters(args)), args.json)
        except InputError as exc:       # one bad line does not stop the batch
            print(f"error: {exc}", file=sys.stderr)
            status = 2
    return status


def cmd_docs(args, settings: Settings) -> int:
    records = _service(settings).documents_matching(_filters(args))
    if args.json:
        print(json.dumps([r.public() for r in records], ensure_ascii=False))
    elif not records:
        print("Chưa có báo cáo nào được lập chỉ mục.")
    else:
        for r in records:
            print(f"{r.doc_id}\t{r.date or '-'}\t{r.sections} mục\t{r.chunks} đoạn\t{r.title}")
    return 0


def cmd_delete(args, settings: Settings) -> int:
    if not _service(settings).delete(args.doc_id):
        raise InputError(f"Không có báo cáo với mã {args.doc_id!r} / no such report")
    print(f"deleted: {args.doc_id}")
    return 0


def cmd_sections(args, settings: Settings) -> int:
    from ingest.sections import parse_report

    loaded = load_text(sys.stdin.read(), "stdin") if args.path == "-" else load_path(args.path, settings.max_upload_bytes)
    report = parse_report(loaded.text)
    if args.json:
        print(json.dumps([s.to_json() for s in report.sections], ensure_ascii=False))
    else:
        for s in report.sections:
            print(f"{'  ' * max(s.level - 1, 0)}[{s.section_id}] {s.heading[:100]}")
    return 0


def cmd_eval(args, settings: Settings) -> int:
    from assistant.evaluation import evaluate, load_questions

    questions = [q for file in args.file for q in load_questions(file)]
    duplicated = sorted(i for i, n in Counter(q.id for q in questions).items() if n > 1)
    if duplicated:
        raise InputError(f"Mã câu hỏi trùng nhau / duplicate question ids: {', '.join(duplicated[:5])}")
    report = evaluate(_service(settings), questions)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        print(report.table())
        print(f"\n{len(questions)} questions in {report.seconds:.1f} s")
        if report.generation():
            print("generation: " + json.dumps(report.generation()))
        misses = [r for r in report.results if (r.question.answerable and not (r.facts_ok and r.first_citation_ok)) or (not r.question.answerable and r.answer.found)]
        for r in misses:
            cited = ",".join(c.section_id for c in r.answer.citations) or "-"
            print(f"  miss {r.question.id} [{r.question.kind}] rank={r.rank} cited={cited} want={','.join(r.question.sections) or '-'}: {r.question.q}")
    return 0


def cmd_serve(args, settings: Settings) -> int:
    from app import serve

    serve(settings, host=args.host, port=args.port, seeds=args.seed)
    return 0


COMMANDS = {
    "ingest": cmd_ingest, "ask": cmd_ask, "docs": cmd_docs, "delete": cmd_delete,
    "sections": cmd_sections, "eval": cmd_eval, "serve": cmd_serve,
}


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        settings = Settings()
        return COMMANDS[args.command](args, settings)
    except USER_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:      # `... | head`: the reader left; not an error of ours
        sys.stdout = open(os.devnull, "w")
        return 0
    except ValueError as exc:    # pydantic settings validation and similar
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
