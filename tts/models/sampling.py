"""Next-token sampling for the t2s model, as pure functions of the logits.

The order of operations is upstream GPT-SoVITS's, because the released voices are
judged by "same seed, same audio": repetition penalty (over every earlier token,
prompt included), then top-p, then temperature, then top-k, then softmax, then the
draw ``argmax(probs / Exponential(1))``. The draw consumes one exponential number per
vocabulary entry even when ``top_k == 1``, so the random stream advances identically
whatever the settings are.

Every function takes ``(B, V)`` logits and returns new tensors; nothing is modified in
place. The settings are ``tts.options.SamplingSettings`` (defaults and validation there).
"""

from __future__ import annotations

import torch

from tts.options import SamplingSettings


def penalize_repetition(logits: torch.Tensor, previous: torch.Tensor, penalty: float) -> torch.Tensor:
    """Shrink the logits of tokens in ``previous`` (B, T): positive ones / penalty, negative ones * penalty."""
    if penalty == 1.0 or previous.shape[-1] == 0:
        return logits
    previous = previous.long()
    score = torch.gather(logits, dim=1, index=previous)  # (B, T)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return logits.scatter(dim=1, index=previous, src=score)  # (B, V)


def top_p_filter(logits: torch.Tensor, top_p: float) -> torch.Tensor:
    """Keep the most likely tokens while their cumulative probability stays <= ``top_p`` (always >= 1 token).

    As upstream: the token whose cumulative probability crosses ``top_p`` is dropped too.
    """
    if top_p >= 1.0:
        return logits
    sorted_logits, sorted_index = torch.sort(logits, descending=True)  # (B, V)
    cumulative = torch.cumsum(torch.softmax(sorted_logits, dim=-1), dim=-1)  # (B, V)
    drop_sorted = cumulative > top_p
    drop_sorted[:, 0] = False  # the most likely token always survives
    drop = drop_sorted.scatter(dim=1, index=sorted_index, src=drop_sorted)  # back to vocabulary order
    return logits.masked_fill(drop, float("-inf"))


def apply_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """Divide by the temperature (floored at 1e-5 as upstream does)."""
    return logits / max(temperature, 1e-5)


def top_k_filter(logits: torch.Tensor, top_k: int) -> torch.Tensor:
    """Set every logit below the k-th largest to -inf (ties with the k-th all survive)."""
    values, _ = torch.topk(logits, min(top_k, logits.shape[-1]))  # (B, k)
    pivot = values[:, -1:]  # (B, 1)
    return torch.where(logits < pivot, float("-inf"), logits)


def exponential_draw(probs: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Draw one token per row as ``argmax(probs / q)``, q ~ Exponential(1): an exact categorical draw.

    Uses ``generator`` when given, the global RNG otherwise; returns (B, 1) int32 like upstream.
    """
    q = torch.empty_like(probs).exponential_(1, generator=generator)  # (B, V)
    return torch.argmax(probs / q, dim=-1, keepdim=True).to(dtype=torch.int)


def logits_to_probs(logits: torch.Tensor, previous: torch.Tensor | None, settings: SamplingSettings) -> torch.Tensor:
    """Filtered next-token distribution (B, V), in upstream's order."""
    if previous is not None:
        logits = penalize_repetition(logits, previous, settings.repetition_penalty)
    logits = top_p_filter(logits, settings.top_p)
    logits = apply_temperature(logits, settings.temperature)
    logits = top_k_filter(logits, settings.top_k)
    return torch.softmax(logits, dim=-1)


def sample_next(
    logits: torch.Tensor,
    previous: torch.Tensor | None,
    settings: SamplingSettings,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Sample the next token for each row.

    Returns ``(tokens (B, 1) int32, penalized_logits (B, V))``. The penalized logits are
    what upstream's end-of-speech test looks at (it stops when their argmax is EOS, even
    if the drawn token is not).
    """
    penalized = logits if previous is None else penalize_repetition(logits, previous, settings.repetition_penalty)
    probs = logits_to_probs(penalized, None, settings)
    return exponential_draw(probs, generator), penalized
