"""Speed and memory of reading documents as staff send them, for docs/PARSING.md.

- every real file of eval/corpus/real/: read + parse seconds, sections, attachments;
- a 3-page scan (QĐ 844 pages 1-3 rasterised to an image-only PDF): OCR + index
  seconds end to end with the packaged model, and whether it answers from page 1;
- bad files (encrypted PDF, 2,000-page PDF, .docx zip bomb, an image with no text):
  seconds to the one-line refusal, and this process's peak RSS;
- a 10,000-section plan: seconds to index it whole (parse, embed, Chroma in slices).

    python scripts/bench_formats.py [--markdown docs/PARSING.md] [--skip-large]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from doc_blocks import replace_block  # noqa: E402
from ingest.errors import InputError  # noqa: E402
from ingest.loaders import load_bytes, load_path  # noqa: E402
from ingest.sections import parse_report  # noqa: E402

REAL = ROOT / "eval" / "corpus" / "real"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def real_files() -> list[str]:
    rows = ["| file | bytes | read + parse (s) | sections | attachments | note |", "|---|---|---|---|---|---|"]
    for path in sorted(REAL.iterdir()):
        if path.name == "SOURCES.md":
            continue
        started = time.perf_counter()
        try:
            loaded = load_path(path, 50 * 1024 * 1024)
            report = parse_report(loaded)
            note = "OCR" if loaded.ocr else ""
            rows.append(f"| `{path.name}` | {path.stat().st_size:,} | {time.perf_counter() - started:.1f} | "
                        f"{len(report.sections)} | {len(report.attachments)} | {note} |")
        except InputError as exc:
            rows.append(f"| `{path.name}` | {path.stat().st_size:,} | {time.perf_counter() - started:.1f} | – | – | "
                        f"refused: {exc} |")
    return rows


def scan_and_bad_files() -> list[str]:
    from assistant.services import AssistantService
    from assistant.settings import Settings
    from tests.test_bad_input import BAD_FILES
    from tests.test_real_ingest import scan_of_the_first_pages

    rows = ["| case | seconds | result |", "|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        service = AssistantService(Settings(data_dir=Path(tmp)))
        service.embeddings.embed_query("khởi động")      # the model loaded before the clock starts
        scan = scan_of_the_first_pages()
        started = time.perf_counter()
        loaded = load_bytes(scan, "qd-844-ban-quet.pdf")
        ocr_s = time.perf_counter() - started
        result = service.ingest(loaded)
        total = time.perf_counter() - started
        answer = service.ask("Quyết định 844/QĐ-TTg ban hành kèm theo văn bản gì?")
        rows.append(f"| 3-page scan ({len(scan) / 1e6:.1f} MB): OCR | {ocr_s:.1f} | {loaded.pages} pages |")
        rows.append(f"| 3-page scan: OCR + parse + embed + index | {total:.1f} | {result.record.sections} sections, "
                    f"{result.record.chunks} chunks; answers from page 1: {answer.found} "
                    f"[{answer.citations[0].section_id if answer.citations else '-'}] |")
        for name, (make, _) in BAD_FILES.items():
            data = make()
            started = time.perf_counter()
            try:
                load_bytes(data, name, 50 * 1024 * 1024)
                outcome = "read (!)"
            except InputError as exc:
                outcome = f"refused: {exc}"
            rows.append(f"| `{name}` ({len(data) / 1e6:.2f} MB) | {time.perf_counter() - started:.2f} | {outcome} |")
    rows.append(f"| peak RSS of this process | | {rss_mb():.0f} MB (model loaded) |")
    return rows


def large_document() -> list[str]:
    from assistant.services import AssistantService
    from assistant.settings import Settings

    body = "\n".join(
        f"Chương {c}\nNHÓM NHIỆM VỤ THỨ {c}\nMục {m}\nNHIỆM VỤ CỦA MỤC {m}\n"
        + "\n".join(f"{k}. Nhiệm vụ {k} của mục {m}, chương {c}." for k in range(1, 11))
        for c in range(1, 101) for m in range(1, 11))
    data = f"KẾ HOẠCH\nThực hiện nhiệm vụ\n\n{body}\n".encode()
    with tempfile.TemporaryDirectory() as tmp:
        service = AssistantService(Settings(data_dir=Path(tmp)))
        started = time.perf_counter()
        result = service.ingest(load_bytes(data, "ke-hoach-10000-muc.txt"))
        seconds = time.perf_counter() - started
        answer = service.ask("Nhiệm vụ 7 của mục 3, chương 42 là gì?")
    return ["| case | seconds | result |", "|---|---|---|",
            f"| 10,000-section plan ({len(data) / 1e6:.1f} MB): index | {seconds:.0f} | {result.status}: "
            f"{result.record.sections} sections, {result.record.chunks} chunks; asked: "
            f"[{answer.citations[0].section_id if answer.citations else '-'}] |"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--markdown", type=Path)
    parser.add_argument("--skip-large", action="store_true", help="skip the 10,000-section plan (~12 min)")
    args = parser.parse_args(argv)
    parts = ["### Every real file", *real_files(), "", "### A scan, and bad files", *scan_and_bad_files()]
    if not args.skip_large:
        parts += ["", "### A large document", *large_document()]
    table = "\n".join(parts)
    print(table)
    if args.markdown:
        replace_block(args.markdown, "bench-formats", table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
