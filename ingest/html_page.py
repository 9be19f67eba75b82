"""Text of a web page saved from a government portal or a legal-document site.

A saved page is mostly not the document: menus, banners, breadcrumbs, search boxes,
share buttons, footers. This reader decodes the bytes, parses them with lxml's HTML
parser (libxml2: it repairs broken markup the way browsers do), removes that page
furniture, picks the element that holds the document's text and renders it as lines:
one block element (p, div, li, h1-h6, ...) a paragraph, a blank line between
paragraphs, a <br> a line break, a table a run of "| cell | cell |" rows.

Every failure a user can cause raises InputError with a one-line bilingual message.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from ingest.errors import InputError

# --- decoding --------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),   # before UTF-16 LE: it starts with the same 2 bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Declared single-byte charsets that pages often claim while actually being UTF-8.
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii", "windows-1252"}


def _declared_charset(data: bytes) -> str | None:
    """The charset a <meta> in the first 4 KB declares, if Python knows it."""
    match = _META_CHARSET.search(data[:4096])
    if not match:
        return None
    name = match.group(1).decode("ascii", "ignore").lower()
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(data: bytes) -> str:
    """BOM, then the <meta> charset, then UTF-8, then Windows-1258 (Vietnamese); NFC.

    NFC because Windows-1258 (declared or guessed) writes tone marks as combining
    characters, and so do some UTF-8 pages saved on a Mac.
    """
    return unicodedata.normalize("NFC", _decode(data))


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(encoding)
            except UnicodeDecodeError as exc:
                raise InputError(f"Trang HTML hỏng bảng mã {encoding} / corrupt {encoding} HTML page") from exc
    if b"\x00" in data[:4096]:
        raise InputError("Tệp không phải trang HTML (dữ liệu nhị phân) / not an HTML page (binary data)")
    declared = _declared_charset(data)
    if declared and declared not in _SINGLE_BYTE:
        try:
            return data.decode(declared)
        except UnicodeDecodeError:
            pass   # a wrong declaration: fall through to what the bytes say
    try:
        # also when Latin-1/Windows-1252 is declared: a page saved by a modern browser or
        # server is UTF-8 whatever its old template says, and valid UTF-8 with Vietnamese
        # letters does not happen by accident in a single-byte text
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared in _SINGLE_BYTE:
        return data.decode("cp1252", errors="replace")
    return data.decode("cp1258", errors="replace")


# --- page furniture ----------------------------------------------------------------------

# Never text of the document. (form is handled apart: ASP.NET pages wrap the whole page
# in one, vbpl.vn among them.)
_DROP_TAGS = {
    "script", "style", "noscript", "template", "svg", "iframe", "nav", "aside", "head",
    "button", "select", "option", "input", "textarea", "object", "embed", "canvas", "map",
    "audio", "video", "link", "meta",
}
# Names (id/class) that always mean furniture: menus, share boxes, "related news"...
_FURNITURE_WORDS = re.compile(
    r"(?<![a-z])(?:menus?|nav|navbar|navigation|breadcrumbs?|sidebar|share|sharing|social|"
    r"comments?|related|advert\w*|ads|cookies?|popup|modal)(?![a-z])"
    # and the Vietnamese words sites use in class names (chia sẻ, liên quan, quảng cáo...)
    r"|chia-?se|lien-?quan|quang-?cao|binh-?luan|tien-?ich"
)
# Names (and tags) that mean furniture at page level but can be part of a document: a
# "header-block" inside the content is the issuer/number/date table of the document, a
# <header> inside <article> its title. Dropped only outside a content container.
_PAGE_LEVEL_WORDS = re.compile(r"(?<![a-z])(?:header|footer|banner)(?![a-z])")
_PAGE_LEVEL_TAGS = {"header", "footer"}
_CONTENT_WORDS = re.compile(
    r"content|article|detail|noi-?dung|vbcontent|toan-?van|fulltext|(?<![a-z])main(?![a-z])|body-content"
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def _names(el) -> str:
    """id and class of an element, lower-cased, camelCase split ("topMenu" -> "top-menu")."""
    raw = f"{el.get('id', '')} {el.get('class', '')}"
    return re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", raw).lower()


def _count(text: str | None) -> int:
    return sum(c.isalnum() for c in text) if text else 0


class _Weights:
    """Non-link and link character counts of every element, computed in one pass.

    Lives for one page (it maps the page's own elements); the counts let the body
    picker compare containers without walking the tree again for each.
    """

    def __init__(self, root) -> None:
        self.text: dict = {}
        self.links: dict = {}
        # post-order: children first, so a parent adds up its children
        for el in reversed(list(root.iter())):
            if not isinstance(el.tag, str):
                continue
            own = _count(el.text) + sum(_count(child.tail) for child in el if isinstance(child.tag, str))
            text = own + sum(self.text.get(child, 0) for child in el)
            links = text if el.tag == "a" else sum(self.links.get(child, 0) for child in el)
            self.text[el] = text
            self.links[el] = links

    def plain(self, el) -> int:
        """Characters of el's text that are not link text."""
        return self.text.get(el, 0) - self.links.get(el, 0)


def _remove_furniture(body) -> None:
    """Drop what is page furniture, but never an element that holds most of the page."""
    from lxml import etree

    # comments, processing instructions and non-text elements first (their tails stay),
    # so that script text does not count as page text below
    for node in list(body.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(node)
    for el in list(body.iter(*_DROP_TAGS)):
        _drop(el)
    weights = _Weights(body)
    page = max(weights.plain(body), 1)

    def holds_the_page(el) -> bool:
        # a wrapper with a furniture-like name ("has-sidebar", an ASP.NET <form>) that
        # holds most of the text is the page itself, not furniture
        return weights.plain(el) > 0.5 * page

    for el in list(body.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        tag = el.tag.lower()
        names = _names(el)
        if holds_the_page(el):
            continue   # see holds_the_page: never the wrapper of the whole text
        elif tag == "form" or el.get("hidden") is not None or _HIDDEN_STYLE.search(el.get("style", "")):
            _drop(el)
        elif _FURNITURE_WORDS.search(names):
            _drop(el)
        elif (tag in _PAGE_LEVEL_TAGS or _PAGE_LEVEL_WORDS.search(names)) and not (
            _CONTENT_WORDS.search(names) or _inside_content(el)
        ):
            _drop(el)


def _inside_content(el) -> bool:
    """Is el inside an <article>, a <main> or an element named as the content?"""
    parent = el.getparent()
    while parent is not None:
        if parent.tag in ("article", "main") or _CONTENT_WORDS.search(_names(parent)):
            return True
        parent = parent.getparent()
    return False


def _drop(el) -> None:
    """Remove el and its subtree but keep the text that follows it (its tail)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    previous = el.getprevious()
    if tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


# --- the article body ----------------------------------------------------------------------

_HEADING_TAGS = {"h1", "h2", "h3"}
_SHORT_BLOCK_CHARS = 300     # a date line or a summary, not a second article
_TITLE_WORDS = re.compile(r"title|tieude|tieu-de|trichyeu")


def _pick_article(body):
    """The smallest element that still holds (nearly) all the page's non-link text.

    Go down from <body> into the child with the most non-link text while it keeps 90 %
    of what its parent has, or 80 % when its id/class names it the content. Menus left
    without a telling name are mostly links and weigh little. Headings just before the
    chosen element (a title outside the content <div>) are kept with it.
    """
    weights = _Weights(body)
    node = body
    while True:
        children = [c for c in node if isinstance(c.tag, str)]
        if not children:
            break
        best = max(children, key=weights.plain)
        have = weights.plain(node)
        if have == 0:
            break
        share = weights.plain(best) / have
        needed = 0.8 if _CONTENT_WORDS.search(_names(best)) else 0.9
        if share < needed:
            break
        node = best
    if node is body:
        return [body]
    # The title, date and summary often sit just before the content <div>: take back
    # the preceding siblings that are headings or short plain text (not link lists).
    before = []
    sibling = node.getprevious()
    while sibling is not None and len(before) < 4:
        if isinstance(sibling.tag, str) and weights.text.get(sibling, 0):   # skip empty clearfix divs
            plain = weights.plain(sibling)
            heading = sibling.tag in _HEADING_TAGS or bool(_TITLE_WORDS.search(_names(sibling)))
            linky = weights.links.get(sibling, 0) > 0.3 * max(weights.text.get(sibling, 0), 1)
            if plain == 0 or linky or not (heading or plain <= _SHORT_BLOCK_CHARS):
                break
            before.insert(0, sibling)
        sibling = sibling.getprevious()
    return before + [node]


# --- rendering -------------------------------------------------------------------------------

_BLOCK_TAGS = {
    "p", "div", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "ul", "ol", "dl", "dt",
    "dd", "section", "article", "main", "header", "footer", "blockquote", "pre", "address",
    "figure", "figcaption", "center", "hr", "form", "fieldset", "details", "summary", "caption",
    "tbody", "thead", "tfoot", "td", "th", "body", "html", "legend",
}
_PARA = object()    # token: end of a paragraph (a blank line follows)
_LINE = object()    # token: <br>, a line break inside a paragraph
# A cell this long is a page-layout cell holding a whole text, not a table cell.
_LAYOUT_CELL_CHARS = 2000


def _rows(table) -> list:
    return table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr")


def _cells(row) -> list:
    return [c for c in row if isinstance(c.tag, str) and c.tag in ("td", "th")]


def _is_data_table(table) -> bool:
    """A table of several columns; a one-column table (or one whose cell holds a whole
    document) only lays the page out, and its cells are rendered as paragraphs."""
    rows = _rows(table)
    if not rows or max(len(_cells(r)) for r in rows) < 2:
        return False
    return all(_count(" ".join(cell.itertext())) <= _LAYOUT_CELL_CHARS for r in rows for cell in _cells(r))


def _tokens(root, *, skip_root_tail: bool = True):
    """Text pieces and _PARA/_LINE tokens of root's subtree, in document order."""
    from lxml import etree

    pre = 0   # inside <pre> the source's line breaks are the text's own

    def text(piece: str):
        if not pre:
            yield piece
            return
        for index, part in enumerate(piece.split("\n")):
            if index:
                yield _LINE
            yield part

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag == "br":
                yield _LINE
            elif tag == "table" and _is_data_table(el):
                walker.skip_subtree()
                yield _PARA
                caption = el.find("caption")
                if caption is not None:
                    yield _cell_text(caption)
                    yield _LINE
                for row in _rows(el):
                    cells = [_cell_text(c) for c in _cells(row)]
                    if any(cells):
                        yield "| " + " | ".join(cells) + " |"
                        yield _LINE
            else:
                if tag in _BLOCK_TAGS:
                    yield _PARA
                if tag == "pre":
                    pre += 1
                if el.text:
                    yield from text(el.text)
        else:
            if tag in _BLOCK_TAGS:
                yield _PARA
            if tag == "pre":
                pre -= 1
            if el.tail and not (skip_root_tail and el is root):
                yield from text(el.tail)


def _cell_text(cell) -> str:
    """A table cell's text on one line: its paragraphs and line breaks become spaces."""
    pieces = [" " if t is _PARA or t is _LINE else t for t in _tokens(cell)]
    return " ".join("".join(pieces).split())


def _render(elements) -> str:
    paragraphs: list[str] = []
    lines: list[str] = []
    buffer: list[str] = []

    def end_line() -> None:
        line = " ".join("".join(buffer).split())
        buffer.clear()
        if line:
            lines.append(line)

    def end_paragraph() -> None:
        end_line()
        if lines:
            paragraphs.append("\n".join(lines))
            lines.clear()

    for element in elements:
        for token in _tokens(element):
            if token is _PARA:
                end_paragraph()
            elif token is _LINE:
                end_line()
            else:
                buffer.append(token)
        end_paragraph()
    return "\n\n".join(paragraphs)


# --- entry point -------------------------------------------------------------------------------

_LOOKS_LIKE_HTML = re.compile(
    r"<\s*(?:!doctype\s+html|html|head|body|div|p|table|span|a|br|h[1-6]|meta|title|article|"
    r"section|ul|ol|li|td|tr|font|b|strong|em|i|center|form|img)[\s>/]",
    re.IGNORECASE,
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff\u00ad")


def read_html(data: bytes) -> str:
    """The document text of a saved web page: one paragraph per block, tables as rows."""
    import lxml.html
    from lxml import etree

    if not data.strip():
        raise InputError("Trang HTML trống / empty HTML page")
    text = decode_html(data)
    if not _LOOKS_LIKE_HTML.search(text):
        raise InputError("Tệp không phải trang HTML / not an HTML page")
    # lxml refuses a str that still carries an XML encoding declaration (XHTML pages)
    text = _XML_DECLARATION.sub("", text, count=1).translate(_INVISIBLE)
    try:
        root = lxml.html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise InputError("Không đọc được trang HTML / cannot parse the HTML page") from exc
    body = root.find("body")
    if body is None:
        body = root
    _remove_furniture(body)
    result = _render(_pick_article(body))
    if sum(c.isalpha() for c in result) < 20:
        raise InputError("Trang HTML không có nội dung văn bản / the HTML page has no document text")
    return result + "\n"
