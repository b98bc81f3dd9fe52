"""Decoding with a loaded t2s model: phones + BERT features + prompt tokens -> semantic tokens.

``T2SModel`` is the network of ``tts.models.t2s`` with its config; ``load_t2s`` reads a GPT
``.ckpt`` into one. Decoding follows upstream's ``TTS.py`` default path step for step:
``prefill`` runs the text and the prompt tokens, ``decode_one_token`` one new token; the
end-of-speech token is masked for the first 11 steps, sampling is ``tts.models.sampling`` (same
order, same random draws), and a row stops at EOS or after 50 tokens per second of ``max_sec``.

One loop (:func:`decode_rows`) decodes one text segment (``iter_tokens`` / ``generate``) or
several at once (``generate_batch``, opt-in, for non-stream replies). One decoding step of a
batch reads every weight once for all its rows, so on a CPU, where a step is bound by reading
the weights, B segments cost little more than one (measured on the full-size GPT with 2 threads:
int8 weights 10.1 ms per step for one row, 9.4 ms for four; float32 28.9 ms for one, 55.9 ms for
four). Rows share the voice's prompt tokens and differ in their text: each row is left-padded to
the longest text, padding is masked out of every attention, so a row sees exactly what it sees
alone. Each row draws from its own generator in the order it would alone, and stops at its own
EOS (later steps of a finished row are computed and ignored). With float32 weights the logits
agree with decoding each row alone up to float rounding (~2e-6 on the full-size GPT: the
products run as one matrix product instead of one per row), so sampled tokens are the same
almost always. With int8 weights (fast mode) a product quantizes its activations with one
scale for all rows, so a row's tokens also depend on the other rows, within int8's tolerance.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import torch
from torch import nn

from tts.models.checkpoints import load_state_dict_strict, read_t2s_file
from tts.models.kv_cache import KVCache, empty_caches
from tts.models.sampling import SamplingSettings, sample_next
from tts.models.t2s import BERT_DIM, T2SConfig, T2SNetwork, quantize_network, script_layers

logger = logging.getLogger(__name__)

EOS_MASKED_STEPS = 11  # EOS cannot be drawn in the first 11 steps (0.44 s of audio)


def prompt_mask(text_len: int, audio_len: int, device: torch.device | str) -> torch.Tensor:
    """(S, S) bool, True = may attend: text sees all text, audio sees all text and earlier audio."""
    S = text_len + audio_len
    mask = torch.ones(S, S, dtype=torch.bool, device=device).tril_()  # causal everywhere
    mask[:, :text_len] = True  # every position sees the whole text
    return mask


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

    def decode_one_token(self, token: torch.Tensor, pos: int, audio_pos: int, cache: list[KVCache],
                         mask: torch.Tensor | None = None) -> torch.Tensor:
        """token (B, 1) at cache position ``pos`` and audio position ``audio_pos`` -> next logits (B, V);
        ``mask`` (B, 1, 1, pos + 1) masks keys out (padding of a batch), None = all keys."""
        y = self.model.embed_audio(token, audio_pos)  # (B, 1, E)
        return self.model(y, pos, cache, mask)

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
        sampling: SamplingSettings | None = None,
        *,
        max_tokens: int | None = None,
        generator: torch.Generator | None = None,
        **overrides,
    ) -> Iterator[int]:
        """Yield semantic tokens one at a time as they are decoded (EOS never yielded).

        phone_ids: 1-D prompt phones + target phones; bert_features: (1024, n_phones);
        prompt_tokens: 1-D semantic tokens of the reference audio (None or empty: no prompt).
        ``sampling`` (default ``SamplingSettings()``, upstream's) with any of its fields
        overridden by keyword (``top_k=1``, ...).
        Draws come from ``generator`` (the global RNG when None); a generator seeded with s
        gives the tokens upstream gives after ``torch.manual_seed(s)``. Stops at EOS (drawn,
        or the most likely token after the repetition penalty, as upstream) or after
        ``max_tokens`` tokens (default ``config.early_stop_tokens``).
        """
        settings = _settings(sampling, overrides)
        limit = self.config.token_limit(max_tokens)
        rows = [self.check_inputs(phone_ids, bert_features, prompt_tokens)]
        for drawn in decode_rows(self, rows, settings, limit, [generator]):
            yield drawn[0]

    def generate(
        self,
        phone_ids: torch.Tensor,
        bert_features: torch.Tensor,
        prompt_tokens: torch.Tensor | None,
        sampling: SamplingSettings | None = None,
        *,
        max_tokens: int | None = None,
        generator: torch.Generator | None = None,
        **overrides,
    ) -> torch.Tensor:
        """The generated semantic tokens (1-D LongTensor on CPU, EOS dropped); same arguments and
        draws as ``iter_tokens``."""
        tokens = self.iter_tokens(phone_ids, bert_features, prompt_tokens, sampling, max_tokens=max_tokens,
                                  generator=generator, **overrides)
        return torch.tensor(list(tokens), dtype=torch.long)


def _settings(sampling: SamplingSettings | None, overrides: dict) -> SamplingSettings:
    """``sampling`` (default: upstream's) with the fields named in ``overrides`` replaced."""
    base = sampling if sampling is not None else SamplingSettings()
    return dataclasses.replace(base, **overrides) if overrides else base


def decode_rows(
    model: T2SModel,
    rows: Sequence[tuple[torch.Tensor, torch.Tensor, torch.Tensor]],
    settings: SamplingSettings,
    limit: int,
    generators: Sequence[torch.Generator | None],
    cancel: threading.Event | None = None,
) -> Iterator[list[int | None]]:
    """The sampling loop: prefill, then one decoding step per token, for one row or several.

    ``rows``: ``model.check_inputs`` of each row (the same prompt tokens in all). Yields, step by
    step, each row's new token (None for a row that has ended); returns when every row has
    ended (EOS or ``limit`` tokens) or, after a step, when ``cancel`` is set. Row i draws from
    ``generators[i]``. One row runs exactly upstream's single-segment path.
    """
    cfg, net, dev = model.config, model.model, model.device
    prompt = rows[0][2]  # (1, Ty), the same for every row
    B, prompt_len = len(rows), prompt.shape[1]
    keys = None  # (B, 1, 1, S_max) may attend, for rows with padding
    if B == 1:
        phones, bert, _ = rows[0]
        start = phones.shape[1] + prompt_len  # cache position of the first generated token
        cache = model.new_cache(start + limit)
        logits = model.prefill(phones, bert, prompt, cache)  # (1, V)
    else:
        texts = [net.embed_text(phones, bert) for phones, bert, _ in rows]  # (1, Tx_i, E) each
        audio = net.embed_audio(prompt)  # (1, Ty, E)
        text_max = max(x.shape[1] for x in texts)
        start = text_max + prompt_len  # for every row
        xy = torch.zeros(B, start, audio.shape[2], dtype=audio.dtype, device=dev)  # (B, S0, E)
        prefill_mask = torch.zeros(B, 1, start, start, dtype=torch.bool, device=dev)  # (B, 1, S0, S0)
        keys = torch.ones(B, 1, 1, start + limit, dtype=torch.bool, device=dev)
        for i, x in enumerate(texts):
            pad = text_max - x.shape[1]
            xy[i, pad:] = torch.cat([x[0], audio[0]])
            prefill_mask[i, 0, pad:, pad:] = prompt_mask(x.shape[1], prompt_len, dev)
            prefill_mask[i, 0, :pad, :pad] = torch.eye(pad, dtype=torch.bool, device=dev)  # padding sees itself only
            keys[i, 0, 0, :pad] = False
        cache = model.new_cache(start + limit, batch=B)
        logits = net(xy, 0, cache, prefill_mask)  # (B, V)
    # every token so far (prompt + generated) for the repetition penalty: filled in place
    seq = torch.empty(B, prompt_len + limit + 1, dtype=torch.long, device=dev)  # (B, Ty + limit + 1)
    seq[:, :prompt_len] = prompt
    n = prompt_len
    live = [True] * B
    for step in range(limit + 1):
        drawn: list[int | None] = [None] * B
        for i in range(B):
            if not live[i]:
                seq[i, n] = cfg.EOS  # a finished row's input from now on: computed, never used
                continue
            value, ends = draw_step(logits[i : i + 1], seq[i : i + 1, :n], step, settings, generators[i], cfg.EOS)
            seq[i, n] = value
            if ends or step == limit:
                live[i] = False
            else:
                drawn[i] = value
        n += 1
        if not any(live):
            return
        yield drawn
        if cancel is not None and cancel.is_set():
            return
        mask = None if keys is None else keys[..., : start + step + 1]
        logits = model.decode_one_token(seq[:, n - 1 : n], start + step, prompt_len + step, cache, mask)


@torch.inference_mode()
def generate_batch(
    model: T2SModel,
    phone_ids: Sequence[torch.Tensor],
    bert_features: Sequence[torch.Tensor],
    prompt_tokens: torch.Tensor | None,
    generators: Sequence[torch.Generator | None],
    sampling: SamplingSettings | None = None,
    *,
    max_tokens: int | None = None,
    cancel: threading.Event | None = None,
    **overrides,
) -> list[torch.Tensor]:
    """The semantic tokens of each row (1-D LongTensors on CPU, EOS dropped), as ``model.generate``
    gives for that row's phone ids, BERT features and generator (one row: exactly). When
    ``cancel`` is set the rows stop within one step and keep the tokens they have.
    """
    if not len(phone_ids) == len(bert_features) == len(generators) or len(phone_ids) == 0:
        raise ValueError(f"need one phone_ids, bert_features and generator per row, got "
                         f"{len(phone_ids)}, {len(bert_features)} and {len(generators)}")
    settings = _settings(sampling, overrides)
    rows = [model.check_inputs(p, b, prompt_tokens) for p, b in zip(phone_ids, bert_features)]
    tokens: list[list[int]] = [[] for _ in rows]
    for drawn in decode_rows(model, rows, settings, model.config.token_limit(max_tokens), generators, cancel):
        for row, value in zip(tokens, drawn):
            if value is not None:
                row.append(value)
    return [torch.tensor(t, dtype=torch.long) for t in tokens]


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
    oneDNN (``tts.models.t2s.quantize_network``): faster, tokens no longer guaranteed
    bit-identical to upstream. On CUDA it changes nothing (fp16 is already the fast path).
    ``script``: run the layers as TorchScript (``tts.models.t2s.script_layers``: the same
    results, less time per token); False runs them eagerly.
    Raises CheckpointError naming the file and the problem.
    """
    file = read_t2s_file(path)
    config = T2SConfig.from_checkpoint_config(file.config, file.path)
    device = torch.device(device)
    if dtype is None:
        dtype = torch.float16 if device.type == "cuda" else torch.float32
    with torch.device("meta"):  # every parameter comes from the file: skip random init (~0.4 s)
        model = T2SModel(config)
    model = model.to_empty(device="cpu")
    model.model.rebuild_position_tables()  # the one computed (unsaved) state
    load_state_dict_strict(model, file.weights, file.path)
    model = model.to(device=device, dtype=dtype).eval()
    model.requires_grad_(False)
    if fast and device.type == "cpu":
        if dtype != torch.float32:
            raise ValueError(f"fast mode on CPU quantizes float32 weights; got dtype {dtype}")
        quantize_network(model.model, "int8" if fast is True else fast)
    if script:
        script_layers(model.model)  # 0.3-1 s for the full model
    logger.info("loaded t2s (%d layers x %d) from %s (%s)", config.n_layer, config.hidden_dim, path, file.info)
    return model
