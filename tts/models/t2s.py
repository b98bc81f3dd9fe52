"""GPT-SoVITS text-to-semantic (t2s) model: phones + BERT features + prompt tokens -> semantic tokens.

A 24-layer post-norm transformer decoder (upstream ``Text2SemanticDecoder``). The text part of
the sequence attends to itself bidirectionally; the semantic part is causal. The module tree
reproduces upstream's checkpoint keys exactly (``model.h.layers.0.self_attn.in_proj_weight``
...), so ``.ckpt`` files load key for key with strict matching.

Each layer owns its weights and its forward; ``load_t2s`` compiles the layer stack with
TorchScript (``script_layers``: the same modules and kernels, without Python between the ops)
or leaves it eager (``script=False``, or where TorchScript fails). Decoding keeps keys and values
in preallocated per-layer ``KVCache`` buffers (no per-step concatenation) and follows upstream's ``TTS.py`` default path step for
step: the end-of-speech token is masked for the first 11 steps, sampling is
``tts.models.sampling`` (same order, same random draws), and decoding stops at EOS or after 50
tokens per second of ``max_sec``.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from tts.models.errors import CheckpointError, load_state_dict_strict
from tts.models.fast_linear import FAST_MODES, convert_linears
from tts.models.kv_cache import KVCache, check_capacity, empty_caches
from tts.models.sampling import SamplingSettings, sample_next

logger = logging.getLogger(__name__)

BERT_DIM = 1024  # chinese-roberta-wwm-ext-large hidden size
SEMANTIC_HZ = 50  # upstream's early-stop rate: 50 tokens per second of max_sec
MAX_STEPS = 1500  # upstream's hard loop bound: at most MAX_STEPS - 1 tokens are returned
EOS_MASKED_STEPS = 11  # EOS cannot be drawn in the first 11 steps (0.44 s of audio)
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


def draw_step(logits: torch.Tensor, previous: torch.Tensor, step: int, settings: SamplingSettings,
              generator: torch.Generator | None, eos: int) -> tuple[int, bool]:
    """One step of upstream's sampling loop for one row: logits (1, V), every token so far
    ``previous`` (1, n) -> (token, ends). EOS cannot be drawn in the first EOS_MASKED_STEPS steps;
    the row ends when the drawn token or the most likely token after the repetition penalty is EOS."""
    if step < EOS_MASKED_STEPS:
        logits = logits[:, :eos]  # EOS is the last entry: drop it
    token, penalized = sample_next(logits, previous, settings, generator)  # (1, 1), (1, V')
    value = int(token[0, 0])
    return value, value == eos or int(torch.argmax(penalized[0])) == eos


def prompt_mask(text_len: int, audio_len: int, device: torch.device | str) -> torch.Tensor:
    """(S, S) bool, True = may attend: text sees all text, audio sees all text and earlier audio."""
    S = text_len + audio_len
    mask = torch.ones(S, S, dtype=torch.bool, device=device).tril_()  # causal everywhere
    mask[:, :text_len] = True  # every position sees the whole text
    return mask


# ---------------------------------------------------------------- the whole


class T2SModel(nn.Module):
    """A loaded t2s model: ``self.model`` holds upstream's ``model.*`` weights, ``self.config`` its config.

    Holds no per-request state: ``generate`` / ``iter_tokens`` may be called again and
    again (one at a time per model: it is not thread-safe while running).
    """

    def __init__(self, config: T2SConfig):
        super().__init__()
        self.config = config
        self.model = T2SNetwork(config)

    @property
    def device(self) -> torch.device:
        return self.model.bert_proj.weight.device

    @property
    def dtype(self) -> torch.dtype:
        """Activation dtype (the embeddings'; quantized layers keep float activations)."""
        return self.model.bert_proj.weight.dtype

    def new_cache(self, max_len: int, batch: int = 1) -> list[KVCache]:
        """Empty caches, one per layer, for ``max_len`` positions (prompt + generated tokens)."""
        cfg = self.config
        return empty_caches(cfg.n_layer, batch, cfg.head, max_len, cfg.head_dim, self.dtype, self.device)

    def prefill(
        self, phone_ids: torch.Tensor, bert: torch.Tensor, prompt: torch.Tensor, cache: list[KVCache]
    ) -> torch.Tensor:
        """phone_ids (B, Tx), bert (B, 1024, Tx), prompt (B, Ty) -> logits for the first new token (B, V)."""
        x = self.model.embed_text(phone_ids, bert)  # (B, Tx, E)
        y = self.model.embed_audio(prompt)  # (B, Ty, E)
        xy = torch.cat([x, y], dim=1)  # (B, Tx + Ty, E)
        mask = prompt_mask(x.shape[1], y.shape[1], xy.device)  # (S, S)
        return self.model(xy, 0, cache, mask)

    def decode_one_token(self, token: torch.Tensor, pos: int, audio_pos: int, cache: list[KVCache]) -> torch.Tensor:
        """token (B, 1) at cache position ``pos`` and audio position ``audio_pos`` -> next logits (B, V)."""
        y = self.model.embed_audio(token, audio_pos)  # (B, 1, E)
        return self.model(y, pos, cache, None)

    def check_inputs(
        self, phone_ids: torch.Tensor, bert_features: torch.Tensor, prompt_tokens: torch.Tensor | None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Validate one row's inputs (ValueError naming the problem) -> phone ids (1, Tx),
        BERT features (1, 1024, Tx) and prompt tokens (1, Ty) on the model's device and dtype."""
        cfg = self.config
        phone_ids = torch.as_tensor(phone_ids)
        if phone_ids.ndim != 1 or phone_ids.numel() == 0:
            raise ValueError(f"phone_ids must be a non-empty 1-D tensor, got shape {tuple(phone_ids.shape)}")
        if phone_ids.dtype.is_floating_point or int(phone_ids.min()) < 0 or int(phone_ids.max()) >= cfg.phoneme_vocab_size:
            raise ValueError(f"phone_ids must be integers in [0, {cfg.phoneme_vocab_size})")
        if bert_features.ndim != 2 or tuple(bert_features.shape) != (BERT_DIM, phone_ids.numel()):
            raise ValueError(
                f"bert_features must have shape ({BERT_DIM}, n_phones={phone_ids.numel()}), "
                f"got {tuple(bert_features.shape)}"
            )
        if prompt_tokens is None:
            prompt_tokens = torch.zeros(0, dtype=torch.long)
        prompt_tokens = torch.as_tensor(prompt_tokens)
        if prompt_tokens.ndim != 1:
            raise ValueError(f"prompt_tokens must be 1-D, got shape {tuple(prompt_tokens.shape)}")
        if prompt_tokens.numel() and (int(prompt_tokens.min()) < 0 or int(prompt_tokens.max()) >= cfg.vocab_size):
            raise ValueError(f"prompt_tokens must be in [0, {cfg.vocab_size})")
        dev = self.device
        return (
            phone_ids.to(device=dev, dtype=torch.long).unsqueeze(0),  # (1, Tx)
            bert_features.to(device=dev, dtype=self.dtype).unsqueeze(0),  # (1, 1024, Tx)
            prompt_tokens.to(device=dev, dtype=torch.long).unsqueeze(0),  # (1, Ty)
        )

    @torch.inference_mode()
    def iter_tokens(
        self,
        phone_ids: torch.Tensor,
        bert_features: torch.Tensor,
        prompt_tokens: torch.Tensor | None,
        *,
        top_k: int = 15,
        top_p: float = 1.0,
        temperature: float = 1.0,
        repetition_penalty: float = 1.35,
        max_tokens: int | None = None,
        generator: torch.Generator | None = None,
    ) -> Iterator[int]:
        """Yield semantic tokens one at a time as they are decoded (EOS never yielded).

        phone_ids: 1-D prompt phones + target phones; bert_features: (1024, n_phones);
        prompt_tokens: 1-D semantic tokens of the reference audio (None or empty: no prompt).
        Draws come from ``generator`` (the global RNG when None); a generator seeded with s
        gives the tokens upstream gives after ``torch.manual_seed(s)``. Stops at EOS (drawn,
        or the most likely token after the repetition penalty, as upstream) or after
        ``max_tokens`` tokens (default ``config.early_stop_tokens``).
        """
        cfg = self.config
        settings = SamplingSettings(top_k, top_p, temperature, repetition_penalty)
        limit = cfg.token_limit(max_tokens)
        phones, bert, prompt = self.check_inputs(phone_ids, bert_features, prompt_tokens)
        text_len, prompt_len = phones.shape[1], prompt.shape[1]
        start = text_len + prompt_len
        cache = self.new_cache(start + limit)
        # every token so far (prompt + generated) for the repetition penalty: filled in place
        seq = torch.empty(1, prompt_len + limit + 1, dtype=torch.long, device=self.device)  # (B, Ty + limit + 1)
        seq[:, :prompt_len] = prompt
        n = prompt_len
        logits = self.prefill(phones, bert, prompt, cache)  # (B, V)
        for step in range(limit + 1):
            value, ends = draw_step(logits, seq[:, :n], step, settings, generator, cfg.EOS)
            seq[:, n] = value
            n += 1
            if ends or step == limit:
                return
            yield value
            logits = self.decode_one_token(seq[:, n - 1 : n], start + step, prompt_len + step, cache)

    def generate(
        self,
        phone_ids: torch.Tensor,
        bert_features: torch.Tensor,
        prompt_tokens: torch.Tensor | None,
        *,
        top_k: int = 15,
        top_p: float = 1.0,
        temperature: float = 1.0,
        repetition_penalty: float = 1.35,
        max_tokens: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """The generated semantic tokens (1-D LongTensor on CPU, EOS dropped); same draws as ``iter_tokens``."""
        tokens = list(
            self.iter_tokens(
                phone_ids,
                bert_features,
                prompt_tokens,
                top_k=top_k,
                top_p=top_p,
                temperature=temperature,
                repetition_penalty=repetition_penalty,
                max_tokens=max_tokens,
                generator=generator,
            )
        )
        return torch.tensor(tokens, dtype=torch.long)


# ---------------------------------------------------------------- loading


def read_t2s_file(path: str | Path) -> tuple[T2SConfig, dict[str, torch.Tensor], str]:
    """Read a GPT ``.ckpt`` without executing pickled code: (config, weights, info)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "file not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or hostile files
        raise CheckpointError(path, f"not a readable GPT (t2s) checkpoint: {type(exc).__name__}: {exc}") from exc
    if not isinstance(obj, dict) or "weight" not in obj or "config" not in obj:
        keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(path, f"expected a dict with 'weight' and 'config' (a GPT .ckpt), got {keys}")
    weights = obj["weight"]
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise CheckpointError(path, "'weight' is not a state dict of tensors")
    config = T2SConfig.from_checkpoint_config(obj["config"], path)
    return config, dict(weights), str(obj.get("info", ""))


def quantize_weights(model: T2SModel, mode: str = "int8") -> T2SModel:
    """Fast mode on CPU, in place: every transformer Linear and the output head in ``mode``
    (``tts.models.fast_linear``: "int8", "fp16" or "onednn" packed for one row per step).
    Tokens then agree with the exact model most of the time, not always. Returns ``model``."""
    if mode not in FAST_MODES:
        raise ValueError(f"fast mode must be one of {FAST_MODES}, got {mode!r}")
    for layer in model.model.h.layers:
        layer.self_attn.pack_in_proj()
    model.model.h = convert_linears(model.model.h, mode, batch_size=1)
    model.model.ar_predict_layer = convert_linears(model.model.ar_predict_layer, mode, batch_size=1)
    return model


def load_t2s(
    path: str | Path,
    device: str | torch.device = "cpu",
    dtype: torch.dtype | None = None,
    *,
    fast: bool | str = False,
    script: bool = True,
) -> T2SModel:
    """Load an upstream GPT-SoVITS GPT ``.ckpt`` with strict key matching.

    Weights (stored fp16) are cast to ``dtype`` (default float32 on CPU, float16 on CUDA).
    ``fast`` (CPU only; opt-in): ``True`` or ``"int8"`` runs the transformer and head with int8
    weights, ``"fp16"`` with fp16 weights, ``"onednn"`` with the float32 weights repacked for
    oneDNN (``quantize_weights``): faster, tokens no longer guaranteed bit-identical to upstream.
    On CUDA it changes nothing (fp16 is already the fast path).
    ``script``: run the layers as TorchScript (``script_layers``: the same results, less time per
    token); False runs them eagerly.
    Raises CheckpointError naming the file and the problem.
    """
    config, weights, info = read_t2s_file(path)
    device = torch.device(device)
    if dtype is None:
        dtype = torch.float16 if device.type == "cuda" else torch.float32
    with torch.device("meta"):  # every parameter comes from the file: skip random init (~0.4 s)
        model = T2SModel(config)
    model = model.to_empty(device="cpu")
    model.model.rebuild_position_tables()  # the one computed (unsaved) state
    load_state_dict_strict(model, weights, path)
    model = model.to(device=device, dtype=dtype).eval()
    model.requires_grad_(False)
    if fast and device.type == "cpu":
        if dtype != torch.float32:
            raise ValueError(f"fast mode on CPU quantizes float32 weights; got dtype {dtype}")
        quantize_weights(model, "int8" if fast is True else fast)
    if script:
        script_layers(model.model)  # 0.3-1 s for the full model
    logger.info("loaded t2s (%d layers x %d) from %s (%s)", config.n_layer, config.hidden_dim, path, info)
    return model
