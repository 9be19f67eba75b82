"""Reading an untrusted file in a child process with a time and a memory limit.

A PDF parser can spend minutes on a 2,000-page or pathological file and gigabytes on a
crafted one. The reader runs in `python -m ingest.isolated TASK` instead: the bytes go in
on stdin, progress lines come back on stderr, the result as JSON on stdout. The parent
kills the child at the deadline; the child caps its own address space, so a file that
would need more memory fails there, with a one-line reason, and the server (and what it
has already indexed) is untouched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable

from ingest.errors import InputError

_PROGRESS = "@@progress "
DEFAULT_MEMORY_MB = 2048


def run(task: str, data: bytes, *, timeout_s: float, memory_mb: int = DEFAULT_MEMORY_MB,
        progress: Callable[[int, int], None] | None = None, options: dict | None = None) -> dict:
    """Result of `task` on `data`, computed in a child process."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    cmd = [sys.executable, "-m", "ingest.isolated", task, str(memory_mb), json.dumps(options or {})]
    # stderr on a pipe of our own: communicate() then owns only stdin and stdout.
    read_end, write_end = os.pipe()
    try:
        child = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=write_end, env=env)
    except OSError as exc:
        os.close(read_end)
        raise InputError(f"Không chạy được bộ đọc tệp ({exc.strerror}) / cannot start the file reader") from exc
    finally:
        os.close(write_end)
    errors: list[str] = []

    def watch_stderr() -> None:
        with os.fdopen(read_end, "rb") as stream:
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if line.startswith(_PROGRESS):
                    if progress:
                        done, total = line[len(_PROGRESS):].split()
                        try:
                            progress(int(done), int(total))
                        except Exception:   # a progress display failing must not fail the read
                            pass
                elif line:
                    errors.append(line)

    watcher = threading.Thread(target=watch_stderr, daemon=True)
    watcher.start()
    try:
        out, _ = child.communicate(data, timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.communicate()
        raise InputError(
            f"Đọc tệp quá lâu (quá {timeout_s:.0f} giây), tệp quá lớn hoặc hỏng / "
            f"reading the file took over {timeout_s:.0f} s: too large or damaged"
        ) from None
    finally:
        watcher.join(timeout=2)
    try:
        reply = json.loads(out.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        reply = None
    if isinstance(reply, dict) and "error" in reply:
        raise InputError(reply["error"])
    if not isinstance(reply, dict) or "ok" not in reply:
        memory = any("MemoryError" in e for e in errors) or child.returncode in (-9, 137)
        if memory:
            raise InputError(
                f"Tệp cần quá nhiều bộ nhớ để đọc (giới hạn {memory_mb} MB) / "
                f"the file needs more than {memory_mb} MB of memory to read"
            )
        raise InputError("Không đọc được tệp (bộ đọc dừng bất thường) / the file reader failed on this file")
    return reply["ok"]


# ----- the child ----------------------------------------------------------------------
def _limit_memory(megabytes: int) -> None:
    try:
        import resource

        limit = megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):     # not on this platform: the timeout still holds
        pass


def _report(done: int, total: int) -> None:
    sys.stderr.write(f"{_PROGRESS}{done} {total}\n")
    sys.stderr.flush()


def _pdf(data: bytes, options: dict) -> dict:
    from dataclasses import asdict

    from ingest.pdf_reader import read_pdf

    return asdict(read_pdf(data, progress=_report, **options))


_TASKS = {"pdf": _pdf}


def main(argv: list[str]) -> int:
    task, memory_mb, options = argv[0], int(argv[1]), json.loads(argv[2])
    _limit_memory(memory_mb)
    data = sys.stdin.buffer.read()
    try:
        reply = {"ok": _TASKS[task](data, options)}
    except InputError as exc:
        reply = {"error": str(exc)}
    except MemoryError:
        reply = {"error": f"Tệp cần quá nhiều bộ nhớ để đọc (giới hạn {memory_mb} MB) / "
                          f"the file needs more than {memory_mb} MB of memory to read"}
    sys.stdout.write(json.dumps(reply, ensure_ascii=False))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
