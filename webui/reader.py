"""The report reader: a report by its heading tree, a section with its subsections, the
figures and commitments read from it, and its deep link."""

from __future__ import annotations

import html

from assistant.services import AssistantService
from assistant.takeaway import date_vi
from webui.evidence import reader_link


def _parents(sections) -> dict[str, str | None]:
    """Each section's parent: the longest other id its own id extends ("A.I.4.(1)" ->
    "A.I.4"; an attachment's "Phụ lục.preamble" -> "Phụ lục"). Levels cannot say it: the
    preamble and the closing are level 0 beside level-1 parts."""
    ids = {s.section_id for s in sections}
    parents = {}
    for s in sections:
        parts = s.section_id.split(".")
        parents[s.section_id] = next((".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)
                                      if ".".join(parts[:n]) in ids), None)
    return parents


def outline_html(service: AssistantService, doc_id: str, current: str = "") -> str:
    """The heading tree, collapsible; the path down to the current section is open. Each
    heading is a deep link."""
    sections = service.sections(doc_id) if doc_id else []
    if not sections:
        return "<p>Chọn một báo cáo để đọc.</p>"
    parents = _parents(sections)
    children: dict[str | None, list] = {}
    for s in sections:
        children.setdefault(parents[s.section_id], []).append(s)
    on_path, at = set(), current
    while at:
        on_path.add(at)
        at = parents.get(at)

    def item(s) -> str:
        link = (f"<a href='{html.escape(reader_link(doc_id, s.section_id))}' target='_self' "
                f"data-section='{html.escape(s.section_id)}'>[{html.escape(s.section_id)}] "
                f"{html.escape(s.heading[:120])}</a>")
        css = " class='current'" if s.section_id == current else ""
        below = children.get(s.section_id, [])
        if not below:
            return f"<li{css}>{link}</li>"
        opened = " open" if s.section_id in on_path else ""
        return f"<li{css}><details{opened}><summary>{link}</summary><ul>{''.join(map(item, below))}</ul></details></li>"

    return f"<ul>{''.join(item(s) for s in children.get(None, []))}</ul>"


def section_choices(service: AssistantService, doc_id: str) -> list[tuple[str, str]]:
    return [(f"[{s.section_id}] {s.heading[:90]}", s.section_id) for s in service.sections(doc_id)] if doc_id else []


def section_html(service: AssistantService, doc_id: str, section_id: str) -> str:
    """One section as the reader shows it: where it sits, its text, the figures and
    commitments read from it, and the link to send."""
    if not doc_id:
        return ""
    record = service.index.document(doc_id)
    section = service.index.section(doc_id, section_id) if section_id else None
    if record is None:
        return "<p>Không có báo cáo này.</p>"
    about = ", ".join(x for x in (record.meta.get("number", ""), date_vi(record.date)) if x)
    head = f"<h3>{html.escape(record.title)}</h3>" + (f"<p>{html.escape(about)}</p>" if about else "")
    if section is None:
        return head + "<p>Chọn một mục trong mục lục.</p>"
    parts = [head, f"<p class='path'>{html.escape(section.section_path)}</p>",
             f"<h4 id='reader-heading'>[{html.escape(section.section_id)}] {html.escape(section.heading)}</h4>",
             f"<div class='section-text'>{html.escape(section.text)}</div>"]
    inside = lambda sid: sid == section_id or sid.startswith(section_id + ".")   # noqa: E731
    # A part's own text is often its heading alone: what it holds is its subsections.
    shown = len(section.text)
    for sub in service.sections(doc_id):
        if sub.section_id != section_id and inside(sub.section_id) and shown < 30_000:
            parts.append(f"<div class='subsection'><small>[{html.escape(sub.section_id)}]</small>"
                         f"<div class='section-text'>{html.escape(sub.text)}</div></div>")
            shown += len(sub.text)
    figures = [f for f in service.figures(doc_ids=[doc_id]) if inside(f["section_id"])]
    if figures:
        parts.append("<h4>Số liệu</h4><ul>" + "".join(
            f"<li><b>{html.escape(f['value'])} {html.escape(f['unit'])}</b> — {html.escape(f['measure'][:140])} "
            f"[{html.escape(f['section_id'])}]</li>" for f in figures[:50]) + "</ul>")
    commitments = [c for c in service.commitments(doc_ids=[doc_id]) if inside(c["section_id"])]
    if commitments:
        parts.append("<h4>Cam kết</h4><ul>" + "".join(
            f"<li>{html.escape((c['task'] or c['text'])[:300])}"
            + (f" — <i>chủ trì: {html.escape(c['agency'])}</i>" if c["agency"] else "")
            + (f" — <i>thời hạn: {html.escape(c['deadline'])}</i>" if c["deadline"] else "")
            + f" [{html.escape(c['section_id'])}]</li>" for c in commitments[:100]) + "</ul>")
    link = reader_link(doc_id, section_id)
    parts.append(f"<p>Liên kết đến mục này: <a class='deep-link' href='{html.escape(link)}'>{html.escape(link)}</a></p>")
    return "\n".join(parts)
