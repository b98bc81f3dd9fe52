"""Several text segments decoded together by one t2s model (opt-in, for non-stream replies).

One decoding step of a batch reads every weight once for all its rows, so on a CPU, where a
step is bound by reading the weights, B segments cost little more than one (measured on the
full-size GPT with 2 threads: int8 weights 10.1 ms per step for one row, 9.4 ms for four;
float32 28.9 ms for one, 55.9 ms for four).

Rows share the voice's prompt tokens and differ in their text: each row is left-padded to the
longest text, padding is masked out of every attention, so a row sees exactly what it sees
alone. Each row draws from its own generator in the order it would alone, and stops at its
own EOS (later steps of a finished row are computed and ignored). With float32 weights the
logits agree with decoding each row alone up to float rounding (~2e-6 on the full-size GPT: the
products run as one matrix product instead of one per row), so sampled tokens are the same
almost always. With int8 weights (fast mode) a product quantizes its activations with one
scale for all rows, so a row's tokens also depend on the other rows, within int8's tolerance.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import torch

from tts.models.sampling import SamplingSettings
from tts.models.t2s import T2SModel, draw_step, prompt_mask


@torch.inference_mode()
def generate_batch(
    model: T2SModel,
    phone_ids: Sequence[torch.Tensor],
    bert_features: Sequence[torch.Tensor],
    prompt_tokens: torch.Tensor | None,
    generators: Sequence[torch.Generator | None],
    *,
    top_k: int = 15,
    top_p: float = 1.0,
    temperature: float = 1.0,
    repetition_penalty: float = 1.35,
    max_tokens: int | None = None,
    cancel: threading.Event | None = None,
) -> list[torch.Tensor]:
    """The semantic tokens of each row (1-D LongTensors on CPU, EOS dropped), as ``model.generate``
    gives for that row's phone ids, BERT features and generator. One row runs ``model.generate``
    itself (bit-identical). When ``cancel`` is set the rows stop within one step and keep the
    tokens they have.
    """
    if not len(phone_ids) == len(bert_features) == len(generators) or len(phone_ids) == 0:
        raise ValueError(f"need one phone_ids, bert_features and generator per row, got "
                         f"{len(phone_ids)}, {len(bert_features)} and {len(generators)}")
    settings = SamplingSettings(top_k, top_p, temperature, repetition_penalty)
    if len(phone_ids) == 1:
        return [model.generate(phone_ids[0], bert_features[0], prompt_tokens, top_k=top_k, top_p=top_p,
                               temperature=temperature, repetition_penalty=repetition_penalty,
                               max_tokens=max_tokens, generator=generators[0])]
    cfg, net, dev = model.config, model.model, model.device
    rows = [model.check_inputs(p, b, prompt_tokens) for p, b in zip(phone_ids, bert_features)]
    prompt = rows[0][2]  # (1, Ty), the same for every row
    limit = cfg.token_limit(max_tokens)
    texts = [net.embed_text(phones, bert) for phones, bert, _ in rows]  # (1, Tx_i, E) each
    audio = net.embed_audio(prompt)  # (1, Ty, E)
    B, text_max, prompt_len = len(rows), max(x.shape[1] for x in texts), prompt.shape[1]
    start = text_max + prompt_len  # cache position of the first generated token, for every row
    xy = torch.zeros(B, start, audio.shape[2], dtype=audio.dtype, device=dev)  # (B, S0, E)
    prefill_mask = torch.zeros(B, 1, start, start, dtype=torch.bool, device=dev)  # (B, 1, S0, S0)
    keys = torch.ones(B, 1, 1, start + limit, dtype=torch.bool, device=dev)  # (B, 1, 1, S_max): may attend
    for i, x in enumerate(texts):
        pad = text_max - x.shape[1]
        xy[i, pad:] = torch.cat([x[0], audio[0]])
        prefill_mask[i, 0, pad:, pad:] = prompt_mask(x.shape[1], prompt_len, dev)
        prefill_mask[i, 0, :pad, :pad] = torch.eye(pad, dtype=torch.bool, device=dev)  # padding sees itself only
        keys[i, 0, 0, :pad] = False
    cache = model.new_cache(start + limit, batch=B)
    seq = torch.empty(B, prompt_len + limit + 1, dtype=torch.long, device=dev)  # (B, Ty + limit + 1)
    seq[:, :prompt_len] = prompt
    n = prompt_len
    tokens: list[list[int]] = [[] for _ in range(B)]
    live = [True] * B
    logits = net(xy, 0, cache, prefill_mask)  # (B, V)
    for step in range(limit + 1):
        for i in range(B):
            if not live[i]:
                seq[i, n] = cfg.EOS  # a finished row's input from now on: computed, never used
                continue
            value, ends = draw_step(logits[i : i + 1], seq[i : i + 1, :n], step, settings, generators[i], cfg.EOS)
            seq[i, n] = value
            if ends or step == limit:
                live[i] = False
            else:
                tokens[i].append(value)
        n += 1
        if not any(live) or (cancel is not None and cancel.is_set()):
            break
        step_in = net.embed_audio(seq[:, n - 1 : n], prompt_len + step)  # (B, 1, E)
        logits = net(step_in, start + step, cache, keys[..., : start + step + 1])
    return [torch.tensor(t, dtype=torch.long) for t in tokens]
