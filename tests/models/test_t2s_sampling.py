"""Sampling functions: each filter on hand-computed cases, and the exponential draw's random stream."""

from __future__ import annotations

import torch

from tts.models.sampling import (
    SamplingSettings,
    apply_temperature,
    exponential_draw,
    logits_to_probs,
    penalize_repetition,
    sample_next,
    top_k_filter,
    top_p_filter,
)

INF = float("inf")


def test_repetition_penalty_shrinks_seen_tokens_toward_zero():
    logits = torch.tensor([[2.0, -2.0, 1.0, 0.5]])
    out = penalize_repetition(logits, torch.tensor([[0, 1, 1]]), 2.0)
    assert out.tolist() == [[1.0, -4.0, 1.0, 0.5]]
    assert logits.tolist() == [[2.0, -2.0, 1.0, 0.5]]  # input untouched
    assert penalize_repetition(logits, torch.zeros(1, 0, dtype=torch.long), 2.0) is logits


def test_top_k_keeps_the_k_largest_and_ties():
    logits = torch.tensor([[1.0, 3.0, 2.0, 3.0, 0.0]])
    assert top_k_filter(logits, 2).tolist() == [[-INF, 3.0, -INF, 3.0, -INF]]
    assert top_k_filter(logits, 3).tolist() == [[-INF, 3.0, 2.0, 3.0, -INF]]
    assert top_k_filter(logits, 99).tolist() == logits.tolist()


def test_top_p_keeps_tokens_while_the_cumulative_probability_stays_within_p():
    probs = torch.tensor([[0.5, 0.3, 0.15, 0.05]])
    logits = probs.log()
    # upstream drops the token whose cumulative probability crosses p (unlike Hugging Face)
    assert top_p_filter(logits, 0.7).isfinite().tolist() == [[True, False, False, False]]
    assert top_p_filter(logits, 0.85).isfinite().tolist() == [[True, True, False, False]]
    assert top_p_filter(logits, 0.1).isfinite().tolist() == [[True, False, False, False]]
    assert top_p_filter(logits, 1.0) is logits


def test_temperature_divides_with_a_floor():
    logits = torch.tensor([[1.0, -2.0]])
    assert apply_temperature(logits, 2.0).tolist() == [[0.5, -1.0]]
    assert apply_temperature(logits, 1e-9).tolist() == [[1e5, -2e5]]


def test_order_is_penalty_top_p_temperature_top_k():
    logits = torch.tensor([[4.0, 3.0, 2.0, -1.0]])
    settings = SamplingSettings(top_k=2, top_p=0.99, temperature=2.0, repetition_penalty=4.0)
    probs = logits_to_probs(logits, torch.tensor([[0]]), settings)
    # penalty: [1, 3, 2, -1]; top_p keeps all but the last; /2: [0.5, 1.5, 1.0]; top-2: tokens 1 and 2
    expected = torch.softmax(torch.tensor([[-INF, 1.5, 1.0, -INF]]), dim=-1)
    torch.testing.assert_close(probs, expected)


def test_draw_follows_the_generator_and_the_global_rng_alike():
    probs = torch.softmax(torch.randn(1, 1025, generator=torch.Generator().manual_seed(3)), dim=-1)
    gen = torch.Generator().manual_seed(5)
    draws = [int(exponential_draw(probs, gen)) for _ in range(20)]
    torch.manual_seed(5)
    assert [int(exponential_draw(probs)) for _ in range(20)] == draws
    assert len(set(draws)) > 5  # it does sample


def test_greedy_picks_the_argmax_after_the_penalty_and_still_uses_random_numbers():
    logits = torch.tensor([[5.0, 4.0, 1.0]])
    gen = torch.Generator().manual_seed(0)
    token, penalized = sample_next(logits, torch.tensor([[0]]), SamplingSettings(top_k=1, repetition_penalty=1.35), gen)
    assert token.tolist() == [[1]] and token.dtype == torch.int32  # 5 / 1.35 = 3.70 < 4
    torch.testing.assert_close(penalized, torch.tensor([[5.0 / 1.35, 4.0, 1.0]]))
    used = torch.Generator().manual_seed(0)
    torch.empty(3).exponential_(1, generator=used)  # one exponential per vocabulary entry
    assert torch.equal(gen.get_state(), used.get_state())
