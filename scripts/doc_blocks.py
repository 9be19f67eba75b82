"""Rewrite one generated block of a Markdown document, between its markers
(<!-- NAME:begin --> … <!-- NAME:end -->), leaving the hand-written text around it."""

from __future__ import annotations

from pathlib import Path


def replace_block(path: Path, name: str, content: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    begin, end = f"<!-- {name}:begin -->", f"<!-- {name}:end -->"
    block = f"{begin}\n{content}\n{end}"
    if begin in text and end in text:
        text = text[: text.index(begin)] + block + text[text.index(end) + len(end):]
    else:
        text = (text.rstrip() + "\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")
