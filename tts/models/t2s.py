"""The GPT-SoVITS text-to-semantic (t2s) network: its config and modules.

A 24-layer post-norm transformer decoder (upstream ``Text2SemanticDecoder``). The text part of
the sequence attends to itself bidirectionally; the semantic part is causal. The module tree
reproduces upstream's checkpoint keys exactly (``model.h.layers.0.self_attn.in_proj_weight``
...), so ``.ckpt`` files load key for key with strict matching.

Each layer owns its weights and its forward; ``load_t2s`` compiles the layer stack with
TorchScript (``script_layers``: the same modules and kernels, without Python between the ops)
or leaves it eager (``script=False``, or where TorchScript fails). Decoding keeps keys and values
in preallocated per-layer ``KVCache`` buffers (no per-step concatenation).

Decoding (prefill, decoding steps, the sampling loop) is ``tts.models.t2s_generate``; reading
``.ckpt`` files is ``tts.models.checkpoints``.
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from tts.models.checkpoints import CheckpointError
from tts.models.fast_linear import FAST_MODES, convert_linears
from tts.models.kv_cache import KVCache, check_capacity

logger = logging.getLogger(__name__)

BERT_DIM = 1024  # chinese-roberta-wwm-ext-large hidden size
SEMANTIC_HZ = 50  # upstream's early-stop rate: 50 tokens per second of max_sec
MAX_STEPS = 1500  # upstream's hard loop bound: at most MAX_STEPS - 1 tokens are returned
LAYER_NORM_EPS = 1e-5  # upstream's TransformerEncoderLayer default
POSITION_TABLE = 4000  # sine table rows built up front (upstream's size); grown on demand


@dataclass(frozen=True)
class T2SConfig:
    """The t2s architecture and stop rule, read from the ``.ckpt``'s own ``config``."""

    hidden_dim: int = 512  # model.hidden_dim: transformer width
    embedding_dim: int = 512  # model.embedding_dim: token embedding width (must equal hidden_dim)
    head: int = 16  # model.head: attention heads
    n_layer: int = 24  # model.n_layer: transformer layers
    vocab_size: int = 1025  # model.vocab_size: 1024 semantic codes + EOS
    phoneme_vocab_size: int = 732  # model.phoneme_vocab_size: 732 for v2 symbols, 512 for v1 files
    dropout: float = 0.0  # model.dropout: unused at inference
    EOS: int = 1024  # model.EOS: end-of-speech token, always vocab_size - 1
    max_sec: float = 54  # data.max_sec: early stop after 50 * max_sec tokens

    @property
    def head_dim(self) -> int:
        return self.hidden_dim // self.head

    @property
    def ffn_dim(self) -> int:
        """Feed-forward width: upstream uses 4 x hidden_dim and ignores ``linear_units``."""
        return 4 * self.hidden_dim

    @property
    def early_stop_tokens(self) -> int:
        """Most tokens a generation returns by default: min(50 x max_sec, 1499), as upstream."""
        return min(int(SEMANTIC_HZ * self.max_sec), MAX_STEPS - 1)

    def token_limit(self, max_tokens: int | None) -> int:
        """Most tokens a generation returns: ``max_tokens``, or :attr:`early_stop_tokens` when None."""
        limit = self.early_stop_tokens if max_tokens is None else int(max_tokens)
        if limit < 0:
            raise ValueError(f"max_tokens must be >= 0, got {max_tokens!r}")
        return limit

    @classmethod
    def from_checkpoint_config(cls, config: Any, path: str | Path) -> T2SConfig:
        """Build from a checkpoint's ``config`` dict; CheckpointError names the missing or bad key."""
        if not isinstance(config, dict) or not isinstance(config.get("model"), dict):
            raise CheckpointError(path, "config has no 'model' section; is this a GPT (t2s) .ckpt?")
        model = config["model"]
        data = config.get("data")
        if not isinstance(data, dict) or "max_sec" not in data:
            raise CheckpointError(path, "config has no 'data.max_sec' (needed for the early stop)")
        values: dict[str, Any] = {}
        for key in ("hidden_dim", "embedding_dim", "head", "n_layer", "vocab_size", "phoneme_vocab_size", "EOS"):
            if key not in model:
                raise CheckpointError(path, f"config.model has no '{key}'")
            if not isinstance(model[key], int) or isinstance(model[key], bool) or model[key] <= 0:
                raise CheckpointError(path, f"config.model.{key} must be a positive integer, got {model[key]!r}")
            values[key] = model[key]
        values["dropout"] = float(model.get("dropout", 0.0))
        max_sec = data["max_sec"]
        if not isinstance(max_sec, (int, float)) or isinstance(max_sec, bool) or max_sec <= 0:
            raise CheckpointError(path, f"config.data.max_sec must be a positive number, got {max_sec!r}")
        values["max_sec"] = max_sec
        cfg = cls(**values)
        if cfg.EOS != cfg.vocab_size - 1:
            raise CheckpointError(path, f"config.model.EOS is {cfg.EOS}, expected vocab_size - 1 = {cfg.vocab_size - 1}")
        if cfg.embedding_dim != cfg.hidden_dim:
            raise CheckpointError(
                path, f"config.model.embedding_dim ({cfg.embedding_dim}) must equal hidden_dim ({cfg.hidden_dim})"
            )
        if cfg.hidden_dim % cfg.head:
            raise CheckpointError(path, f"config.model.hidden_dim ({cfg.hidden_dim}) is not divisible by head ({cfg.head})")
        return cfg


# ---------------------------------------------------------------- parts


class TokenEmbedding(nn.Module):
    """Token id -> vector (key: ``word_embeddings.weight``)."""

    def __init__(self, dim: int, vocab: int):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab, dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.word_embeddings(ids)  # (B, T, E)


def sine_table(n: int, dim: int) -> torch.Tensor:
    """Sinusoidal positions (n, dim), computed in float32 exactly as upstream (sin at even, cos at odd)."""
    position = torch.arange(0, n, dtype=torch.float32).unsqueeze(1)  # (n, 1)
    freq = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * -(math.log(10000.0) / dim))  # (dim/2,)
    table = torch.zeros(n, dim)
    table[:, 0::2] = torch.sin(position * freq)
    table[:, 1::2] = torch.cos(position * freq)
    return table


class SinePositionalEncoding(nn.Module):
    """Adds ``alpha x sine(position)``; ``alpha`` is learned (key ``alpha``), the table is not saved."""

    def __init__(self, dim: int):
        super().__init__()
        self.dim = dim
        self.alpha = nn.Parameter(torch.ones(1))
        self.register_buffer("pe", sine_table(POSITION_TABLE, dim), persistent=False)

    def ensure(self, n: int) -> None:
        """Grow the table to at least ``n`` positions."""
        if self.pe.shape[0] < n:
            self.pe = sine_table(n, self.dim).to(device=self.pe.device, dtype=self.pe.dtype)

    def forward(self, x: torch.Tensor, start: int = 0) -> torch.Tensor:
        """x (B, T, E) holding positions start..start+T-1 -> x + alpha * pe."""
        end = start + x.shape[1]
        self.ensure(end)
        return x + self.alpha * self.pe[start:end]  # (B, T, E)


class SelfAttention(nn.Module):
    """Multi-head attention over the request's KV cache: packed q/k/v projection (``in_proj_*``)
    and ``out_proj``."""

    def __init__(self, dim: int, n_head: int):
        super().__init__()
        self.n_head = n_head
        self.in_proj_weight = nn.Parameter(torch.empty(3 * dim, dim))
        self.in_proj_bias = nn.Parameter(torch.empty(3 * dim))
        self.out_proj = nn.Linear(dim, dim)
        self.in_proj: nn.Module | None = None  # set by ``pack_in_proj`` (fast mode) after loading

    def pack_in_proj(self) -> None:
        """Move the packed q/k/v projection into an ``nn.Linear`` so module-level transforms
        (dynamic quantization) reach it; the model then no longer has upstream's key names."""
        linear = nn.Linear(self.in_proj_weight.shape[1], self.in_proj_weight.shape[0])
        linear.weight = self.in_proj_weight
        linear.bias = self.in_proj_bias
        del self.in_proj_weight, self.in_proj_bias
        self.in_proj = linear

    def forward(self, x: torch.Tensor, cache: KVCache, pos: int, mask: torch.Tensor | None) -> torch.Tensor:
        """x (B, T, C) at positions pos..pos+T-1, its keys and values written into ``cache``;
        ``mask`` (T, pos+T) or (B, 1, T, pos+T) bool, True = may attend, None = all."""
        B, T, C = x.shape
        if self.in_proj is None:  # TorchScript compiles only the branch this module takes
            qkv = F.linear(x, self.in_proj_weight, self.in_proj_bias)  # (B, T, 3C)
        else:
            qkv = self.in_proj(x)  # (B, T, 3C)
        qkv = qkv.view(B, T, 3, self.n_head, -1).permute(2, 0, 3, 1, 4)  # (3, B, H, T, D): q, k, v
        k, v = cache.update(pos, qkv[1], qkv[2])  # (B, H, pos+T, D) each: every key and value so far
        attn = F.scaled_dot_product_attention(qkv[0], k, v, attn_mask=mask)  # (B, H, T, D)
        return self.out_proj(attn.transpose(1, 2).reshape(B, T, C))  # (B, T, C)


class TransformerLayer(nn.Module):
    """One post-norm layer (``self_attn``, ``linear1/2``, ``norm1/2``):
    x = norm1(x + attn(x)); x = norm2(x + linear2(relu(linear1(x))))."""

    def __init__(self, cfg: T2SConfig):
        super().__init__()
        self.self_attn = SelfAttention(cfg.hidden_dim, cfg.head)
        self.linear1 = nn.Linear(cfg.hidden_dim, cfg.ffn_dim)
        self.linear2 = nn.Linear(cfg.ffn_dim, cfg.hidden_dim)
        self.norm1 = nn.LayerNorm(cfg.hidden_dim, eps=LAYER_NORM_EPS)
        self.norm2 = nn.LayerNorm(cfg.hidden_dim, eps=LAYER_NORM_EPS)

    def forward(self, x: torch.Tensor, cache: KVCache, pos: int, mask: torch.Tensor | None) -> torch.Tensor:
        x = self.norm1(x + self.self_attn(x, cache, pos, mask))  # (B, T, C)
        return self.norm2(x + self.linear2(F.relu(self.linear1(x))))  # (B, T, C)


class TransformerStack(nn.Module):
    """The layers (key prefix ``h.layers.N``), layer i writing into ``caches[i]``."""

    def __init__(self, cfg: T2SConfig):
        super().__init__()
        self.layers = nn.ModuleList(TransformerLayer(cfg) for _ in range(cfg.n_layer))

    def forward(self, x: torch.Tensor, caches: list[KVCache], pos: int, mask: torch.Tensor | None) -> torch.Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x, caches[i], pos, mask)
        return x  # (B, T, C)


def rows_linear(module: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``module(x)`` for x (R, 1, in) holding R independent rows (``T2SNetwork.forward_rows``).

    A float Linear on CPU runs as R one-row products in one call (``torch.baddbmm`` over the
    shared weight, read once from memory): each row gets exactly the bits it gets alone, where one
    (R, in) x (in, out) product would not (MKL and oneDNN use other kernels, with another
    summation order, for more than one row). Other modules (fast mode's int8/fp16/oneDNN layers)
    and other devices take the rows as one batch: within the fast mode's tolerance.
    """
    weight = getattr(module, "weight", None)
    if isinstance(weight, torch.Tensor):
        return rows_product(x, weight, module.bias)
    return module(x)


def rows_product(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """x (R, 1, in) @ weight.T + bias -> (R, 1, out): on CPU as R one-row products (see
    :func:`rows_linear`), elsewhere as one product."""
    if x.device.type != "cpu":
        return F.linear(x, weight, bias)
    R = x.shape[0]
    w = weight.t().expand(R, -1, -1)  # (R, in, out): a view, no copy
    if bias is None:
        return torch.bmm(x, w)
    return torch.baddbmm(bias.expand(R, 1, -1), x, w)


def layer_rows(layer: nn.Module, x: torch.Tensor, caches: list[KVCache], positions: list[int]) -> torch.Tensor:
    """``TransformerLayer.forward`` for R rows of one token each, row r at cache position
    ``positions[r]`` of its own ``caches[r]``: the same operations, products through
    :func:`rows_linear`, attention row by row (each over its own keys, as alone). Works on the
    eager and the TorchScript-compiled layer alike."""
    attn = layer.self_attn
    R, T, C = x.shape
    weight = getattr(attn, "in_proj_weight", None)  # gone in fast mode (packed into in_proj)
    qkv = rows_product(x, weight, attn.in_proj_bias) if weight is not None else rows_linear(attn.in_proj, x)
    qkv = qkv.view(R, T, 3, attn.n_head, -1).permute(2, 0, 3, 1, 4)  # (3, R, H, T, D)
    heads = []
    for r in range(R):
        k, v = caches[r].update(positions[r], qkv[1, r : r + 1], qkv[2, r : r + 1])  # (1, H, pos+T, D)
        heads.append(F.scaled_dot_product_attention(qkv[0, r : r + 1], k, v))  # (1, H, T, D)
    a = torch.cat(heads).transpose(1, 2).reshape(R, T, C)  # (R, T, C)
    x = layer.norm1(x + rows_linear(attn.out_proj, a))
    return layer.norm2(x + rows_linear(layer.linear2, F.relu(rows_linear(layer.linear1, x))))


def script_layers(net: T2SNetwork) -> None:
    """Replace ``net.h`` by its TorchScript compilation (the same modules and parameters, run
    from C++ without Python between the ops: same kernels, same results, less time per token),
    or leave it eager, with a warning, where TorchScript fails (deprecated in torch 2.10+; a
    later torch may drop it)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            net.h = torch.jit.script(net.h)
    except Exception as exc:  # noqa: BLE001 - TorchScript raises several types; eager runs the same math
        logger.warning("t2s layers run eagerly (slower per token): TorchScript failed: %s", exc)


class T2SNetwork(nn.Module):
    """Upstream ``Text2SemanticDecoder``'s inference parameters, under the same names."""

    def __init__(self, cfg: T2SConfig):
        super().__init__()
        self.cfg = cfg
        self.bert_proj = nn.Linear(BERT_DIM, cfg.embedding_dim)
        self.ar_text_embedding = TokenEmbedding(cfg.embedding_dim, cfg.phoneme_vocab_size)
        self.ar_text_position = SinePositionalEncoding(cfg.embedding_dim)
        self.ar_audio_embedding = TokenEmbedding(cfg.embedding_dim, cfg.vocab_size)
        self.ar_audio_position = SinePositionalEncoding(cfg.embedding_dim)
        self.h = TransformerStack(cfg)
        self.ar_predict_layer = nn.Linear(cfg.hidden_dim, cfg.vocab_size, bias=False)

    def rebuild_position_tables(self) -> None:
        """Recompute the sine tables (not in checkpoints), e.g. after building on the meta device."""
        for enc in (self.ar_text_position, self.ar_audio_position):
            enc.pe = sine_table(POSITION_TABLE, enc.dim).to(device=enc.alpha.device)

    def embed_text(self, phone_ids: torch.Tensor, bert: torch.Tensor) -> torch.Tensor:
        """phone_ids (B, Tx), bert (B, 1024, Tx) -> (B, Tx, E) at text positions 0..Tx-1."""
        x = self.ar_text_embedding(phone_ids) + self.bert_proj(bert.transpose(1, 2))  # (B, Tx, E)
        return self.ar_text_position(x)

    def embed_audio(self, tokens: torch.Tensor, start: int = 0) -> torch.Tensor:
        """Semantic tokens (B, T) at audio positions start..start+T-1 -> (B, T, E)."""
        return self.ar_audio_position(self.ar_audio_embedding(tokens), start)

    def forward(self, xy: torch.Tensor, pos: int, caches: list[KVCache], mask: torch.Tensor | None) -> torch.Tensor:
        """Run ``xy`` (B, T, E) at cache positions pos..pos+T-1; logits of its last position (B, V)."""
        check_capacity(caches, pos + xy.shape[1])
        if isinstance(self.h, torch.jit.ScriptModule):
            with torch.jit.optimized_execution(False):  # plain kernel calls: no profiling runs, no fusion
                h = self.h(xy, caches, pos, mask)  # (B, T, C)
        else:
            h = self.h(xy, caches, pos, mask)  # (B, T, C)
        return self.ar_predict_layer(h[:, -1])  # (B, V)

    def forward_rows(self, xy: torch.Tensor, caches: list[list[KVCache]], positions: list[int]) -> torch.Tensor:
        """One token for each of R independent rows (``xy`` (R, 1, E)), row r at cache position
        ``positions[r]`` of its own per-layer caches ``caches[r]`` -> next logits (R, V). On CPU in
        float32 each row's logits are bit-identical to ``forward`` on that row alone
        (``rows_linear``); the weights are read once for all rows."""
        for row, pos in zip(caches, positions):
            check_capacity(row, pos + 1)
        x = xy
        for i, layer in enumerate(self.h.layers):
            x = layer_rows(layer, x, [row[i] for row in caches], positions)
        return rows_linear(self.ar_predict_layer, x)[:, -1]  # (R, V)


def quantize_network(net: T2SNetwork, mode: str = "int8") -> None:
    """Fast mode on CPU, in place: every transformer Linear and the output head in ``mode``
    (``tts.models.fast_linear``: "int8", "fp16" or "onednn" packed for one row per step).
    Tokens then agree with the exact model most of the time, not always. Before ``script_layers``."""
    if mode not in FAST_MODES:
        raise ValueError(f"fast mode must be one of {FAST_MODES}, got {mode!r}")
    for layer in net.h.layers:
        layer.self_attn.pack_in_proj()
    net.h = convert_linears(net.h, mode, batch_size=1)
    net.ar_predict_layer = convert_linears(net.ar_predict_layer, mode, batch_size=1)
