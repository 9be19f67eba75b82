"""Text from scanned PDFs and images, by OCR with Tesseract (Vietnamese model).

The work is done by Debian's command-line tools, not by Python libraries: poppler's
pdftoppm rasterises one page at a time and tesseract reads it. Both run as subprocesses
with a timeout, so a hostile or huge file costs at most a bounded number of seconds, and
pages run in parallel on a few threads (the threads only wait on the subprocesses).

Every failure a user can cause raises InputError with a one-line bilingual message.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from ingest.errors import InputError

# 200 dpi, measured (2 cores, tesseract 5.3, `vie`, 150-400 dpi tried): on the real
# one-page scan TTr 289 and on QĐ 844 pages 1-3 rasterised at 200 and at 300 dpi, 200 read
# as well as 300 (scan) or better (QĐ 844: 97.2 % vs 96.9 % of characters, 94 % vs 93 % of
# words; from the 300-dpi raster 97.2 % vs 96.7 %) and takes ~25 % less time (1.0 s vs
# 1.3 s a page). Likely because 13-14 pt body text at 200 dpi has about the line height
# Tesseract's models were trained on.
DEFAULT_DPI = 200
DEFAULT_MAX_PAGES = 200
DEFAULT_PAGE_TIMEOUT_S = 60.0
# Below this many non-space characters the "text" is OCR noise from stamps and specks.
MIN_TEXT_CHARS = 20
# A decompression bomb is a small file that decodes to gigapixels; an A4 page at 600 dpi
# is ~35 megapixels, so 80 leaves room for any honest scan.
MAX_IMAGE_PIXELS = 80_000_000
IMAGE_FORMATS = {"PNG", "JPEG", "MPO", "TIFF"}   # MPO: the JPEG variant many phones write

# In Vietnamese spelling the diphthong ie/ye (iê, yê, uyê) always carries the circumflex;
# Tesseract often drops it under a tone mark in bold capitals ("QUYÉT ĐỊNH"). A toned
# e after i/y and before a final consonant or u is therefore always a misread ê.
_CIRCUMFLEX = str.maketrans("éèẻẽẹÉÈẺẼẸ", "ếềểễệẾỀỂỄỆ")
_IE_WITHOUT_CIRCUMFLEX = re.compile(r"(?<=[iIyY])[éèẻẽẹÉÈẺẼẸ](?=[cmnptuCMNPTU])")

_INSTALL_HINT = "chạy `make install` để cài / run `make install` to install it"
_TOO_MANY_PIXELS = (
    f"Ảnh quá lớn (trên {MAX_IMAGE_PIXELS // 1_000_000} triệu điểm ảnh, có thể là bom giải nén) / "
    f"image too large (over {MAX_IMAGE_PIXELS // 1_000_000} megapixels, possibly a decompression bomb)"
)
_NO_TEXT = "Không nhận dạng được chữ nào trong bản quét / no text found by OCR"


@dataclass
class OcrResult:
    text: str                 # pages in order, separated by "\f"
    pages: int                # pages read
    empty_pages: list[int] = field(default_factory=list)   # 1-based pages with no text
    seconds: float = 0.0      # wall-clock time of the whole OCR


def _missing_tool() -> InputError | None:
    """The first missing piece, as the error to raise; None when OCR can run."""
    if shutil.which("tesseract") is None:
        return InputError(f"Thiếu chương trình OCR tesseract (gói Debian tesseract-ocr); {_INSTALL_HINT}")
    if shutil.which("pdftoppm") is None or shutil.which("pdfinfo") is None:
        return InputError(f"Thiếu pdftoppm/pdfinfo (gói Debian poppler-utils); {_INSTALL_HINT}")
    try:
        langs = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return InputError(f"Không chạy được tesseract (gói Debian tesseract-ocr); {_INSTALL_HINT}")
    # tesseract prints the list on stdout (some versions on stderr): look at both
    if "vie" not in (langs.stdout + langs.stderr).split():
        return InputError(
            f"Thiếu dữ liệu tiếng Việt cho tesseract (gói Debian tesseract-ocr-vie); {_INSTALL_HINT}"
        )
    return None


def tools_available() -> bool:
    """True when tesseract with the Vietnamese model, pdftoppm and pdfinfo are installed."""
    return _missing_tool() is None


def _require_tools() -> None:
    error = _missing_tool()
    if error is not None:
        raise error


def _workers(pages: int) -> int:
    """Threads for the page pool: the CPU count, kept within 2..4, never above the pages.

    Tesseract is told to use one thread (OMP_THREAD_LIMIT=1): its own OpenMP threading
    gains little and competes with our page-level parallelism.
    """
    return max(1, min(pages, max(2, min(4, os.cpu_count() or 2))))


class _Processes:
    """The subprocesses of one OCR call, so that the first failure can stop all others.

    It lives for one call (no module state): a timed-out page must not leave the other
    pages running for another minute each.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen] = set()
        self.cancelled = threading.Event()

    def run(self, args: list[str], timeout: float, env: dict[str, str] | None = None) -> tuple[int, bytes, bytes]:
        """Run args to completion; raise subprocess.TimeoutExpired after timeout seconds."""
        with self._lock:
            if self.cancelled.is_set():
                raise _Cancelled()
            try:
                proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            except OSError as exc:   # removed or not executable since tools_available()
                raise InputError(f"Không chạy được {args[0]} / cannot run {args[0]}; {_INSTALL_HINT}") from exc
            self._live.add(proc)
        try:
            out, err = proc.communicate(timeout=max(timeout, 0.1))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            raise
        finally:
            with self._lock:
                self._live.discard(proc)
        if self.cancelled.is_set():
            raise _Cancelled()
        return proc.returncode, out, err

    def cancel(self) -> None:
        """Kill whatever still runs; later run() calls refuse to start."""
        with self._lock:
            self.cancelled.set()
            for proc in self._live:
                proc.kill()


class _Cancelled(Exception):
    """A page stopped because another page already failed (never leaves this module)."""


def _tesseract_env() -> dict[str, str]:
    env = dict(os.environ)
    env["OMP_THREAD_LIMIT"] = "1"
    return env


def _tesseract(image: Path, procs: _Processes, timeout: float, what: tuple[str, str], limit_s: float) -> str:
    """OCR one image file within timeout seconds; `what` (Vietnamese, English) names the
    page and limit_s is the per-page limit, for the messages."""
    vi, en = what
    try:
        code, out, err = procs.run(
            ["tesseract", str(image), "-", "-l", "vie", "--psm", "3"], timeout, _tesseract_env()
        )
    except subprocess.TimeoutExpired as exc:
        raise InputError(
            f"Nhận dạng chữ (OCR) {vi} quá {limit_s:g} giây / OCR of {en} took over {limit_s:g} s"
        ) from exc
    if code != 0:
        detail = err.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"Không nhận dạng được chữ {vi} / OCR failed on {en}: {detail[-1] if detail else code}")
    return out.decode("utf-8", "replace")


def _page_count(pdf: Path, data: bytes, timeout: float) -> int:
    """Pages of the PDF, from pdfinfo (fast, reads only the page tree), else pypdf."""
    try:
        proc = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        proc = None
    if proc is not None:
        text = proc.stdout.decode("utf-8", "replace")
        err = proc.stderr.decode("utf-8", "replace")
        if "password" in err.lower() or "encrypt" in err.lower():
            raise InputError("PDF được bảo vệ bằng mật khẩu / the PDF is password-protected")
        for line in text.splitlines():
            if line.startswith("Pages:"):
                try:
                    return int(line.split(":", 1)[1])
                except ValueError:
                    break
    # pdfinfo missing, slow or confused: pypdf reads the page tree in-process
    from pypdf import PdfReader

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise InputError("PDF được bảo vệ bằng mật khẩu / the PDF is password-protected")
        return len(reader.pages)
    except InputError:
        raise
    except Exception as exc:  # pypdf raises many unrelated types for a broken file
        raise InputError("Tệp PDF bị hỏng / invalid PDF file") from exc


def _fix_spelling(text: str) -> str:
    """Restore the circumflex of iê/yê that OCR lost (see _IE_WITHOUT_CIRCUMFLEX)."""
    return _IE_WITHOUT_CIRCUMFLEX.sub(lambda m: m.group().translate(_CIRCUMFLEX), text)


def _join(texts: list[str]) -> tuple[str, list[int]]:
    """Pages joined in order by form feeds; the 1-based numbers of empty pages."""
    pages = [_fix_spelling(t.replace("\f", "")).strip() for t in texts]
    empty = [n for n, t in enumerate(pages, 1) if sum(not c.isspace() for c in t) == 0]
    return "\n\f\n".join(pages), empty


def _check_pixels(width: int, height: int) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise InputError(_TOO_MANY_PIXELS)


def _check_text(text: str) -> None:
    if sum(not c.isspace() for c in text) < MIN_TEXT_CHARS:
        raise InputError(_NO_TEXT)


def ocr_pdf(
    data: bytes,
    *,
    max_pages: int = DEFAULT_MAX_PAGES,
    page_timeout_s: float = DEFAULT_PAGE_TIMEOUT_S,
    dpi: int = DEFAULT_DPI,
    progress: Callable[[int, int], None] | None = None,
) -> OcrResult:
    """OCR every page of a PDF (a scan, or any PDF without a text layer).

    The page count is checked first, so an over-long file is refused in seconds.
    page_timeout_s bounds the rasterising and the OCR of each page (each gets what the
    page has left). progress(done, total) is called in this thread after each page.
    """
    started = time.monotonic()
    if b"%PDF-" not in data[:1024]:   # readers accept the header anywhere in the first 1 KB
        raise InputError("Tệp không phải PDF / not a PDF file")
    _require_tools()
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        pdf = Path(tmp) / "input.pdf"
        pdf.write_bytes(data)
        total = _page_count(pdf, data, timeout=min(page_timeout_s, 30))
        if total < 1:
            raise InputError("PDF không có trang nào / the PDF has no pages")
        if total > max_pages:
            raise InputError(
                f"PDF quá dài để nhận dạng chữ ({total} trang, tối đa {max_pages}) / "
                f"too many pages to OCR ({total}, limit {max_pages})"
            )
        procs = _Processes()

        def one_page(number: int) -> str:
            deadline = time.monotonic() + page_timeout_s
            what = (f"trang {number}", f"page {number}")
            prefix = Path(tmp) / f"page-{number}"
            try:
                code, _, err = procs.run(
                    ["pdftoppm", "-r", str(dpi), "-f", str(number), "-l", str(number), "-gray",
                     "-singlefile", str(pdf), str(prefix)],
                    deadline - time.monotonic(),
                )
            except subprocess.TimeoutExpired as exc:
                raise InputError(
                    f"Dựng ảnh trang {number} quá {page_timeout_s:g} giây / "
                    f"rendering page {number} took over {page_timeout_s:g} s"
                ) from exc
            image = prefix.with_suffix(".pgm")
            if code != 0 or not image.exists():
                detail = err.decode("utf-8", "replace").strip().splitlines()
                raise InputError(
                    f"Không đọc được trang {number} của PDF / cannot render page {number}: "
                    f"{detail[-1] if detail else code}"
                )
            try:
                return _tesseract(image, procs, deadline - time.monotonic(), what, page_timeout_s)
            finally:
                image.unlink(missing_ok=True)   # a rendered page is several MB: free it at once

        texts: list[str] = [""] * total
        with ThreadPoolExecutor(max_workers=_workers(total), thread_name_prefix="ocr") as pool:
            futures = {pool.submit(one_page, n): n for n in range(1, total + 1)}
            pending = set(futures)
            done_count = 0
            try:
                while pending:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        error = future.exception()
                        if isinstance(error, _Cancelled):
                            continue
                        if error is not None:
                            raise error
                        texts[futures[future] - 1] = future.result()
                        done_count += 1
                        if progress is not None:
                            progress(done_count, total)
            finally:
                if pending:
                    # a page failed (or progress raised): stop the rest now, not in a minute
                    procs.cancel()
                    for future in pending:
                        future.cancel()
    text, empty = _join(texts)
    _check_text(text)
    return OcrResult(text=text, pages=total, empty_pages=empty, seconds=time.monotonic() - started)


def ocr_image(data: bytes, *, page_timeout_s: float = DEFAULT_PAGE_TIMEOUT_S) -> OcrResult:
    """OCR one uploaded image (.png, .jpg/.jpeg, .tif/.tiff), or each frame of a TIFF.

    Pillow checks the file and its size first: tesseract (leptonica) would happily try
    to allocate a decompression bomb's gigapixels.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    started = time.monotonic()
    if not data:
        raise InputError("Tệp ảnh trống / empty image file")
    try:
        # Pillow reads only the header here. Its own guard (Image.MAX_IMAGE_PIXELS, which
        # is process-wide and may have been changed) raises DecompressionBombError above
        # twice its limit; we also check our own limit below, frame by frame.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                fmt = image.format or ""
                frames = getattr(image, "n_frames", 1)
                _check_pixels(*image.size)
    except InputError:
        raise   # our own size check (InputError is a ValueError: let it through as it is)
    except Image.DecompressionBombError as exc:
        raise InputError(_TOO_MANY_PIXELS) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as exc:
        raise InputError("Tệp ảnh bị hỏng hoặc không phải ảnh / invalid or unsupported image file") from exc
    if fmt not in IMAGE_FORMATS:
        raise InputError(
            f"Định dạng ảnh không hỗ trợ: {fmt or '?'} (chỉ nhận PNG, JPEG, TIFF) / unsupported image format"
        )
    if frames > DEFAULT_MAX_PAGES:
        raise InputError(f"Ảnh TIFF có quá nhiều trang ({frames}) / too many TIFF pages ({frames})")
    _require_tools()
    with tempfile.TemporaryDirectory(prefix="ocr-") as tmp:
        procs = _Processes()
        # Decode fully with Pillow (catches truncated files) and hand tesseract a plain
        # grey PNG per frame: one format it always reads, whatever the upload's codec.
        paths: list[Path] = []
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(io.BytesIO(data)) as image:
                    pixels = 0
                    for index in range(frames):
                        image.seek(index)
                        pixels += image.size[0] * image.size[1]
                        _check_pixels(pixels, 1)   # each TIFF frame has a size of its own
                        # a phone photo is often stored sideways with an EXIF rotation
                        frame = ImageOps.exif_transpose(image) if frames == 1 else image
                        path = Path(tmp) / f"frame-{index + 1}.png"
                        frame.convert("L").save(path, format="PNG")
                        paths.append(path)
        except InputError:
            raise
        except Image.DecompressionBombError as exc:
            raise InputError(_TOO_MANY_PIXELS) from exc
        except (OSError, ValueError, SyntaxError, EOFError) as exc:
            raise InputError("Tệp ảnh bị hỏng (không giải mã được) / corrupt image file") from exc
        texts = []
        for number, path in enumerate(paths, 1):
            what = ("ảnh", "the image") if frames == 1 else (f"trang {number}", f"page {number}")
            texts.append(_tesseract(path, procs, page_timeout_s, what, page_timeout_s))
    text, empty = _join(texts)
    _check_text(text)
    return OcrResult(text=text, pages=frames, empty_pages=empty, seconds=time.monotonic() - started)
