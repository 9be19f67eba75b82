"""Text of a legacy Word .doc (the OLE2 binary format of Word 97-2003, and older).

Python has no maintained reader for this format, so Debian's antiword does the work,
with catdoc as the fallback for the files antiword refuses (Word 6/95, fast-saved or
odd files). Both run as subprocesses with a timeout.

The text comes back one paragraph per line with a blank line between paragraphs (as
antiword writes it with -w 0), tables as "| cell | cell |" rows. Field codes that the
tools leave in the text ("PAGE \\* MERGEFORMAT", 'HYPERLINK "..."') are removed, the
words around them are kept. Every failure a user can cause raises InputError.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from ingest.errors import InputError

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DEFAULT_TIMEOUT_S = 60.0
_INSTALL_HINT = "chạy `make install` để cài / run `make install` to install it"
_ENCRYPTED = (
    "Tệp .doc được đặt mật khẩu (mã hoá), hãy bỏ mật khẩu rồi gửi lại / "
    "the .doc is password-protected (encrypted); remove the password and upload it again"
)
# Fewer letters than this and the "document" is a tool's confusion, not text.
_MIN_LETTERS = 20

# Field instructions Word stores in the text stream between its field marks. Only these
# names are touched, and only in the shapes a field code has (a switch, a quoted
# argument, a bookmark), so an ordinary word such as "TITLE" in a heading stays.
_FIELD_NAMES = (
    "PAGE|NUMPAGES|SECTIONPAGES|SECTION|DATE|TIME|CREATEDATE|SAVEDATE|PRINTDATE|FILENAME|"
    "AUTHOR|TITLE|SUBJECT|NUMWORDS|NUMCHARS|TOC|TC|PAGEREF|REF|NOTEREF|SEQ|STYLEREF|"
    "HYPERLINK|INCLUDEPICTURE|INCLUDETEXT|EMBED|SHAPE|SYMBOL|FORMTEXT|FORMCHECKBOX|"
    "FORMDROPDOWN|MACROBUTTON|MERGEFIELD|DOCPROPERTY|LINK|QUOTE|IF|ASK|FILLIN|XE|INDEX"
)
_SWITCH = r'\\[*@#!a-zA-Z](?:\s*(?:"[^"\n]*"|[^\s\\"|]+))?'
_FIELD_PATTERNS = [
    # NAME [args] \switch ...: the switch makes it unmistakably a field code
    re.compile(rf'\b(?:{_FIELD_NAMES})\b(?:[ \t]+(?:"[^"\n]*"|[\w.]+))*?(?:[ \t]*{_SWITCH})+'),
    # a field whose argument is quoted (HYPERLINK "url", INCLUDEPICTURE "file", ...)
    re.compile(rf'\b(?:HYPERLINK|INCLUDEPICTURE|INCLUDETEXT|LINK|SYMBOL|MACROBUTTON)[ \t]+"[^"\n]*"(?:[ \t]*{_SWITCH})*'),
    # a reference to a bookmark: PAGEREF _Toc123, REF _Ref456
    re.compile(r"\b(?:PAGEREF|REF|NOTEREF)[ \t]+_(?:Toc|Ref)\d+"),
    # an embedded object's class: EMBED Word.Picture.8, EMBED Equation.3
    re.compile(r"\bEMBED[ \t]+[A-Za-z][\w.]*"),
    # a page-number field followed by its result ("Trang PAGE 2 / NUMPAGES 7"): the
    # English capitals are the code, the number is what the reader saw
    re.compile(r"\b(?:PAGE|NUMPAGES|SECTIONPAGES)\b(?=[ \t]*\d)"),
]
# A line that is nothing but a page-number field (and perhaps its result): a footer.
_PAGE_FIELD_LINE = re.compile(r"^\s*(?:PAGE|NUMPAGES|SECTIONPAGES)\b[\s\d/]*$")


def _install_error(tool: str) -> InputError:
    return InputError(f"Thiếu chương trình {tool} để đọc tệp .doc (gói Debian {tool}); {_INSTALL_HINT}")


def tools_available() -> bool:
    """True when antiword or catdoc is installed."""
    return shutil.which("antiword") is not None or shutil.which("catdoc") is not None


def _run(args: list[str], timeout_s: float) -> tuple[int, str, str]:
    try:
        proc = subprocess.run(args, capture_output=True, timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise InputError(
            f"Đọc tệp .doc quá {timeout_s:g} giây / reading the .doc took over {timeout_s:g} s"
        ) from exc
    except OSError as exc:
        raise _install_error(Path(args[0]).name) from exc
    return (
        proc.returncode,
        proc.stdout.decode("utf-8", "replace"),
        proc.stderr.decode("utf-8", "replace"),
    )


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def _antiword_table_row(line: str) -> str:
    """'|a    |b   |' (antiword's padded cells) as '| a | b |'."""
    cells = [" ".join(cell.split()) for cell in line.strip().strip("|").split("|")]
    return "| " + " | ".join(cells) + " |"


def _catdoc_table_row(line: str) -> str:
    """catdoc separates the cells of a table row with tabs: make it a '| a | b |' row."""
    cells = [" ".join(cell.split()) for cell in line.strip().split("\t")]
    return "| " + " | ".join(cells) + " |"


def strip_field_codes(text: str) -> str:
    """Remove Word field instructions left in the text; keep every other word."""
    lines = []
    for line in text.split("\n"):
        if _PAGE_FIELD_LINE.match(line):
            continue
        cleaned = line
        for pattern in _FIELD_PATTERNS:
            cleaned = pattern.sub(" ", cleaned)
        if cleaned != line:
            # what is left of a footer such as "PAGE \* MERGEFORMAT 11" is the page number
            if re.fullmatch(r"[\s\d/|]*", cleaned) and line.strip():
                continue
            cleaned = re.sub(r"[ \t]{2,}", " ", cleaned)
        lines.append(cleaned)
    return "\n".join(lines)


def _tidy(text: str, tool: str) -> str:
    """One paragraph per line, no indentation, at most one blank line between them."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").split("\n"):
        line = raw.strip()
        if tool == "antiword" and len(line) > 1 and line.startswith("|") and line.endswith("|"):
            line = _antiword_table_row(line)
        elif tool == "catdoc" and "\t" in line:
            line = _catdoc_table_row(line)
        else:
            line = " ".join(line.split())
        if not line.replace("|", "").strip():
            line = ""   # an empty table row reads as a blank line
        if tool == "catdoc" and line and out and out[-1] and not (line[0] == "|" == out[-1][0]):
            # catdoc writes paragraphs on consecutive lines: separate them with a blank
            # line as antiword does, so both give the caller the same shape
            out.append("")
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n") + "\n"


def _not_doc_message(data: bytes) -> str:
    """Why these bytes are not a Word 97-2003 file, with a hint for the usual mix-ups."""
    head = data[:512].lstrip()
    if head.startswith(b"PK\x03\x04"):
        hint = "tệp là .docx bị đổi đuôi / it is a .docx renamed to .doc"
    elif head.startswith(b"{\\rtf"):
        hint = "tệp là RTF bị đổi đuôi / it is an RTF file renamed to .doc"
    elif head[:1] == b"<":
        hint = "tệp là HTML/XML bị đổi đuôi / it is an HTML or XML file renamed to .doc"
    else:
        hint = ""
    base = "Tệp không phải văn bản Word 97-2003 (.doc) / not a Word 97-2003 .doc file"
    return f"{base} ({hint})" if hint else base


def read_doc(data: bytes, *, timeout_s: float = DEFAULT_TIMEOUT_S) -> str:
    """Text of a Word 97-2003 .doc: one paragraph per line, blank lines between them."""
    if not data.startswith(OLE2_MAGIC):
        raise InputError(_not_doc_message(data))
    have_antiword = shutil.which("antiword") is not None
    have_catdoc = shutil.which("catdoc") is not None
    if not have_antiword and not have_catdoc:
        raise _install_error("antiword")
    with tempfile.TemporaryDirectory(prefix="doc-") as tmp:
        path = Path(tmp) / "input.doc"
        path.write_bytes(data)
        reasons: list[str] = []
        if have_antiword:
            # -w 0: no hard wrapping, one paragraph per line; -m: write UTF-8
            code, out, err = _run(["antiword", "-w", "0", "-m", "UTF-8.txt", str(path)], timeout_s)
            if "encrypt" in err.lower() or "password" in err.lower():
                raise InputError(_ENCRYPTED)
            if code == 0 and _letters(out) >= _MIN_LETTERS:
                return _tidy(strip_field_codes(out), "antiword")
            reasons.append(err.strip().splitlines()[-1] if err.strip() else f"antiword exit {code}")
        if have_catdoc:
            # catdoc reads what antiword refuses (Word 6/95, some fast-saved files)
            code, out, err = _run(["catdoc", "-d", "utf-8", "-w", str(path)], timeout_s)
            if "encrypt" in err.lower() or "password" in err.lower():
                raise InputError(_ENCRYPTED)
            if code == 0 and _letters(out) >= _MIN_LETTERS:
                return _tidy(strip_field_codes(out), "catdoc")
            reasons.append(err.strip().splitlines()[-1] if err.strip() else f"catdoc exit {code}")
    if any("not a word document" in r.lower() for r in reasons):
        # an OLE2 container, but no Word text stream in it: an .xls/.ppt, or a cut-off file
        raise InputError(
            "Tệp .doc bị hỏng hoặc không phải văn bản Word 97-2003 / "
            "damaged file, or not a Word 97-2003 document (an Excel or PowerPoint file?)"
        )
    raise InputError(
        "Không đọc được chữ trong tệp .doc (hỏng hoặc trống) / no text could be read from the .doc "
        f"(damaged or empty: {'; '.join(reasons)[:200]})"
    )
