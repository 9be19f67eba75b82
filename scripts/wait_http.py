"""Wait until a URL answers (a server started in the background), at most TIMEOUT seconds.

    python scripts/wait_http.py http://127.0.0.1:8080/v1/models 180
"""

from __future__ import annotations

import sys
import time
import urllib.request


def main() -> int:
    url, timeout = sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 120.0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return 0
        except OSError:
            time.sleep(1)
    print(f"{url} did not answer within {timeout:.0f} s", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
