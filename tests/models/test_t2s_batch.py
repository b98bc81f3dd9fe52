"""Several segments decoded together: each row gets the tokens it gets alone, stops on its own."""

from __future__ import annotations

import threading

import pytest
import torch

from tts.models import load_t2s
from tts.models.t2s_generate import EOS_MASKED_STEPS, generate_batch


def rows(lengths, seed=3):
    g = torch.Generator().manual_seed(seed)
    phones = [torch.randint(0, 732, (n,), generator=g) for n in lengths]
    berts = [torch.randn(1024, n, generator=g) for n in lengths]
    prompt = torch.randint(0, 1024, (30,), generator=g)
    return phones, berts, prompt


def generators(n, base=100):
    return [torch.Generator().manual_seed(base + i) for i in range(n)]


@pytest.mark.parametrize("lengths", [(20, 33, 7), (12, 12), (5, 40, 18, 26)])
def test_each_row_gets_the_tokens_it_gets_alone(tiny, lengths):
    phones, berts, prompt = rows(lengths)
    alone = [tiny.generate(p, b, prompt, top_k=5, max_tokens=30, generator=g)
             for p, b, g in zip(phones, berts, generators(len(lengths)))]
    together = generate_batch(tiny, phones, berts, prompt, generators(len(lengths)), top_k=5, max_tokens=30)
    assert [t.tolist() for t in together] == [t.tolist() for t in alone]
    assert all(len(t) == 30 for t in together)  # random weights: the token limit ends every row


def test_one_row_is_generate_itself(tiny):
    phones, berts, prompt = rows((15,))
    [tokens] = generate_batch(tiny, phones, berts, prompt, generators(1), max_tokens=20)
    assert torch.equal(tokens, tiny.generate(phones[0], berts[0], prompt, max_tokens=20, generator=generators(1)[0]))


def test_rows_stop_at_their_own_eos(eos_heavy_path):
    tiny_eos = load_t2s(eos_heavy_path)
    phones, berts, prompt = rows((9, 21))
    together = generate_batch(tiny_eos, phones, berts, prompt, generators(2), max_tokens=40)
    alone = [tiny_eos.generate(p, b, prompt, max_tokens=40, generator=g)
             for p, b, g in zip(phones, berts, generators(2))]
    assert [len(t) for t in together] == [EOS_MASKED_STEPS, EOS_MASKED_STEPS]
    assert [t.tolist() for t in together] == [t.tolist() for t in alone]


def test_cancel_stops_every_row_after_one_step(tiny):
    phones, berts, prompt = rows((10, 14))
    cancel = threading.Event()
    cancel.set()
    together = generate_batch(tiny, phones, berts, prompt, generators(2), max_tokens=30, cancel=cancel)
    assert [len(t) for t in together] == [1, 1]


def test_one_generator_per_row_is_required(tiny):
    phones, berts, prompt = rows((10, 14))
    with pytest.raises(ValueError, match=r"^need one phone_ids, bert_features and generator per row, got 2, 2 and 1$"):
        generate_batch(tiny, phones, berts, prompt, generators(1))
    with pytest.raises(ValueError, match=r"got 0, 0 and 0$"):
        generate_batch(tiny, [], [], prompt, [])


def test_a_bad_row_is_named_like_a_single_generation(tiny):
    phones, berts, prompt = rows((10, 14))
    with pytest.raises(ValueError, match=r"bert_features must have shape \(1024, n_phones=14\), got \(1024, 10\)"):
        generate_batch(tiny, phones, [berts[0], berts[0]], prompt, generators(2))
