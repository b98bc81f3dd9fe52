"""Decoding with a loaded t2s model: phones + BERT features + prompt tokens -> semantic tokens.

``T2SModel`` is the network of ``tts.models.t2s`` with its config; ``load_t2s`` reads a GPT
``.ckpt`` into one. Decoding follows upstream's ``TTS.py`` default path step for step:
``prefill`` runs the text and the prompt tokens, ``decode_one_token`` one new token; the
end-of-speech token is masked for the first 11 steps, sampling is ``tts.models.sampling`` (same
order, same random draws), and a row stops at EOS or after 50 tokens per second of ``max_sec``.

A segment being decoded is a :class:`DecodingRow` (its own KV cache, tokens, generator and
limit). Rows decode alone (``iter_tokens`` / ``generate``: upstream's single-segment path) or
together (:func:`step_rows`: ``generate_batch`` for non-stream replies, and ``tts.scheduler``,
which decodes the segments of every request at once). One decoding step of R rows reads every
weight once for all of them, so on a CPU, where a step is bound by reading the weights, R rows
cost little more than one. The rows need not share anything (voice, prompt, position): each
attends to its own cache, and in float32 on CPU each row's products are computed as one-row
products in one batched call (``tts.models.t2s.rows_linear``), so a row's logits, and so its
tokens for a given generator, are bit-identical to decoding it alone. In fast mode (int8/fp16/
oneDNN layers) the rows share one product: within the mode's tolerance, not bit-identical.
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

    def new_cache(self, max_len: int) -> list[KVCache]:
        """Empty caches, one per layer, for ``max_len`` positions (prompt + generated tokens) of one row."""
        cfg = self.config
        return empty_caches(cfg.n_layer, 1, cfg.head, max_len, cfg.head_dim, self.dtype, self.device)

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
        """token (1, 1) at cache position ``pos`` and audio position ``audio_pos`` -> next logits (1, V)."""
        y = self.model.embed_audio(token, audio_pos)  # (1, 1, E)
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
        row = self.new_row(phone_ids, bert_features, prompt_tokens, _settings(sampling, overrides),
                           max_tokens=max_tokens, generator=generator)
        row.prefill()
        while (token := row.draw()) is not None:
            yield token
            row.advance()

    def new_row(self, phone_ids: torch.Tensor, bert_features: torch.Tensor, prompt_tokens: torch.Tensor | None,
                settings: SamplingSettings, *, max_tokens: int | None = None,
                generator: torch.Generator | None = None) -> DecodingRow:
        """A :class:`DecodingRow` for these inputs (checked: ValueError naming the problem), not
        prefilled yet."""
        phones, bert, prompt = self.check_inputs(phone_ids, bert_features, prompt_tokens)
        return DecodingRow(self, phones, bert, prompt, settings, self.config.token_limit(max_tokens), generator)

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


class DecodingRow:
    """One text segment being decoded: its inputs, its own KV cache, every token so far, its
    generator and token limit; upstream's single-segment loop, one call per stage.

    ``prefill`` (or ``prefill_parts``, which pauses between layers), then ``draw`` the next token
    and compute the logits after it: alone with :meth:`advance`, or together with other rows
    (any voices, any positions) with :func:`step_rows`, which gives each row the same bits.
    ``draw`` returns None once the row has ended (EOS or ``limit`` tokens).
    """

    def __init__(self, model: T2SModel, phone_ids: torch.Tensor, bert: torch.Tensor, prompt: torch.Tensor,
                 settings: SamplingSettings, limit: int, generator: torch.Generator | None):
        # (1, Tx), (1, 1024, Tx), (1, Ty) as ``model.check_inputs`` returns them
        self.model, self.settings, self.limit, self.generator = model, settings, limit, generator
        self.phone_ids, self.bert, self.prompt = phone_ids, bert, prompt
        self.prompt_len = prompt.shape[1]
        self.start = phone_ids.shape[1] + self.prompt_len  # cache position of the first generated token
        self.cache = model.new_cache(self.start + limit)
        # every token so far (prompt + generated) for the repetition penalty: filled in place
        self.seq = torch.empty(1, self.prompt_len + limit + 1, dtype=torch.long, device=model.device)
        self.seq[:, : self.prompt_len] = prompt
        self.drawn = 0  # tokens drawn, EOS included
        self.logits: torch.Tensor | None = None  # (1, V): the next token's, once prefilled
        self.ended = False

    def prefill(self) -> None:
        """Run the text and the prompt tokens (all layers at once)."""
        self.logits = self.model.prefill(self.phone_ids, self.bert, self.prompt, self.cache)

    def prefill_parts(self, layers_per_part: int) -> Iterator[None]:
        """:meth:`prefill` layer by layer, pausing (yielding) after every ``layers_per_part`` layers
        so the caller can run other rows' steps in between; the same operations and results."""
        net = self.model.model
        x = torch.cat([net.embed_text(self.phone_ids, self.bert), net.embed_audio(self.prompt)], dim=1)  # (1, S, E)
        mask = prompt_mask(self.phone_ids.shape[1], self.prompt_len, x.device)  # (S, S)
        layers = list(net.h.layers)
        for i, layer in enumerate(layers):
            with torch.jit.optimized_execution(False):  # as T2SNetwork.forward runs compiled layers
                x = layer(x, self.cache[i], 0, mask)
            if (i + 1) % layers_per_part == 0 and i + 1 < len(layers):
                yield
        self.logits = net.ar_predict_layer(x[:, -1])  # (1, V)

    def draw(self) -> int | None:
        """The next token, drawn from the current logits; None when the row ends here (EOS, or
        ``limit`` tokens drawn already)."""
        if self.ended:
            return None
        eos = self.model.config.EOS
        n = self.prompt_len + self.drawn
        value, ends = draw_step(self.logits, self.seq[:, :n], self.drawn, self.settings, self.generator, eos)
        self.seq[0, n] = value
        self.drawn += 1
        if ends or self.drawn > self.limit:
            self.ended = True
            return None
        return value

    def step_input(self) -> tuple[torch.Tensor, int, int]:
        """The last drawn token (1, 1), its cache position and its audio position."""
        step = self.drawn - 1
        n = self.prompt_len + self.drawn
        return self.seq[:, n - 1 : n], self.start + step, self.prompt_len + step

    def advance(self) -> None:
        """Compute the logits after the last drawn token (this row alone)."""
        token, pos, audio_pos = self.step_input()
        self.logits = self.model.decode_one_token(token, pos, audio_pos, self.cache)


def step_rows(rows: Sequence[DecodingRow]) -> None:
    """:meth:`DecodingRow.advance` for several rows of one model at once: one pass over the weights
    for all of them (``T2SNetwork.forward_rows``). In float32 on CPU each row's logits are
    bit-identical to its own ``advance``; in fast mode within the mode's tolerance."""
    if len(rows) == 1:
        rows[0].advance()
        return
    net = rows[0].model.model
    inputs = [row.step_input() for row in rows]
    x = torch.cat([net.embed_audio(token, audio_pos) for token, _, audio_pos in inputs])  # (R, 1, E)
    logits = net.forward_rows(x, [row.cache for row in rows], [pos for _, pos, _ in inputs])  # (R, V)
    for i, row in enumerate(rows):
        row.logits = logits[i : i + 1]


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
    """The semantic tokens of each row (1-D LongTensors on CPU, EOS dropped): exactly what
    ``model.generate`` gives for that row's phone ids, BERT features and generator (float32 on
    CPU; fast mode within its tolerance), the decoding steps of all rows run together
    (:func:`step_rows`). When ``cancel`` is set the rows stop within one step and keep the tokens
    they have.
    """
    if not len(phone_ids) == len(bert_features) == len(generators) or len(phone_ids) == 0:
        raise ValueError(f"need one phone_ids, bert_features and generator per row, got "
                         f"{len(phone_ids)}, {len(bert_features)} and {len(generators)}")
    settings = _settings(sampling, overrides)
    rows = [model.new_row(p, b, prompt_tokens, settings, max_tokens=max_tokens, generator=g)
            for p, b, g in zip(phone_ids, bert_features, generators)]
    tokens: dict[DecodingRow, list[int]] = {row: [] for row in rows}
    for row in rows:
        row.prefill()
    live = rows
    while True:
        for row in live:
            if (value := row.draw()) is not None:
                tokens[row].append(value)
        live = [row for row in live if not row.ended]
        if not live or (cancel is not None and cancel.is_set()):
            break
        step_rows(live)
    return [torch.tensor(tokens[row], dtype=torch.long) for row in rows]


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
