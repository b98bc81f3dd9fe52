"""The t2s scheduler (tts.scheduler): rows of any voice, arriving at any time, decoded together,
each with exactly the tokens it gets alone."""

from __future__ import annotations

import threading
import time

import pytest
import torch

from tts import SynthesisOptions
from tts.builders import build_t2s_checkpoint
from tts.models import load_t2s
from tts.models.sampling import SamplingSettings
from tts.models.t2s_generate import DecodingRow, step_rows
from tts.scheduler import T2SScheduler

SETTINGS = SamplingSettings(top_k=50, temperature=1.0)


@pytest.fixture(scope="module")
def gpts(models, tmp_path_factory):
    """Two different GPT checkpoints (two voices' models) and the scripted/eager forms of the first."""
    other = build_t2s_checkpoint(tmp_path_factory.mktemp("gpt2") / "gpt-b.ckpt", size="tiny", seed=5)
    return {"a": load_t2s(models.gpt), "b": load_t2s(other), "a_eager": load_t2s(models.gpt, script=False)}


def make_inputs(model, seed: int):
    """Random phones (with a prompt part), BERT features and prompt tokens of lengths set by ``seed``."""
    g = torch.Generator().manual_seed(seed)
    n_phones, n_prompt = 8 + 5 * (seed % 4), 4 + 3 * (seed % 3)
    phones = torch.randint(0, model.config.phoneme_vocab_size, (n_phones,), generator=g)
    bert = torch.randn(1024, n_phones, generator=g)
    prompt = torch.randint(0, 1024, (n_prompt,), generator=g)
    return phones, bert, prompt


def alone(model, seed: int, max_tokens: int) -> list[int]:
    phones, bert, prompt = make_inputs(model, seed)
    return model.generate(phones, bert, prompt, SETTINGS, max_tokens=max_tokens,
                          generator=torch.Generator().manual_seed(seed)).tolist()


def row(model, seed: int, max_tokens: int) -> DecodingRow:
    phones, bert, prompt = make_inputs(model, seed)
    return model.new_row(phones, bert, prompt, SETTINGS, max_tokens=max_tokens,
                         generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", ["a", "a_eager"])
def test_rows_stepped_together_have_the_logits_they_have_alone(gpts, name):
    """Rows at different positions, with different prompts: one batched step gives each row's
    logits bit for bit (compiled and eager layers)."""
    model = gpts[name]
    with torch.inference_mode():
        together = [row(model, s, 30) for s in range(5)]
        single = [row(model, s, 30) for s in range(5)]
        for i, (r, s) in enumerate(zip(together, single)):
            r.prefill()
            s.prefill()
            for _ in range(i):  # row i is i tokens further than row 0
                assert r.draw() == s.draw()
                r.advance()
                s.advance()
        for _ in range(6):
            drawn = [r.draw() for r in together]
            assert drawn == [s.draw() for s in single]
            step_rows(together)
            for s in single:
                s.advance()
            for r, s in zip(together, single):
                assert torch.equal(r.logits, s.logits)


def test_prefill_in_parts_equals_prefill(gpts):
    with torch.inference_mode():
        whole, parts = row(gpts["a"], 3, 10), row(gpts["a"], 3, 10)
        whole.prefill()
        assert sum(1 for _ in parts.prefill_parts(1)) == gpts["a"].config.n_layer - 1  # a pause between layers
        assert torch.equal(whole.logits, parts.logits)


def test_staggered_mixed_voice_rows_get_their_own_tokens(gpts):
    """Rows of two models arriving while others decode: each stream's tokens are those of the
    same row decoded alone, and the scheduler did batch them."""
    scheduler = T2SScheduler(max_rows=8, prefill_layers=1)
    try:
        jobs = [("a", 0, 40), ("b", 1, 30), ("a", 2, 25), ("b", 3, 40), ("a", 4, 12), ("a", 5, 33)]
        streams, tokens = [], []
        for k, (name, seed, limit) in enumerate(jobs):
            streams.append(scheduler.submit(row(gpts[name], seed, limit)))
            tokens.append([])
            if k % 2:  # let the earlier rows run a few steps before the next ones arrive
                for _ in range(3):
                    tokens[0].append(next(streams[0]))
        for t, stream in zip(tokens, streams):
            t.extend(stream)
        for (name, seed, limit), t in zip(jobs, tokens):
            assert t == alone(gpts[name], seed, limit), (name, seed)
        assert scheduler.rows_stepped > scheduler.steps  # some steps decoded several rows
        assert scheduler.largest_batch <= 8
    finally:
        scheduler.close()


def test_a_cancelled_row_leaves_and_the_others_are_unchanged(gpts):
    scheduler = T2SScheduler(max_rows=4)
    try:
        cancel = threading.Event()
        keep = scheduler.submit(row(gpts["a"], 0, 40))
        dropped = scheduler.submit(row(gpts["a"], 1, 40), cancel)
        closed = scheduler.submit(row(gpts["b"], 2, 40))
        first = [next(dropped) for _ in range(5)]
        cancel.set()
        rest = list(dropped)
        got_closed = [next(closed) for _ in range(3)]
        closed.close()
        # the row leaves at the next step: what was drawn before the cancel is still a prefix
        # of its tokens (the scheduler decodes ahead of a slow reader)
        assert (first + rest) == alone(gpts["a"], 1, 40)[: len(first) + len(rest)]
        assert got_closed == alone(gpts["b"], 2, 40)[:3]
        assert list(keep) == alone(gpts["a"], 0, 40)
        assert scheduler.active_rows == 0
    finally:
        scheduler.close()


def test_rows_beyond_max_rows_wait_their_turn(gpts):
    scheduler = T2SScheduler(max_rows=2)
    try:
        streams = [scheduler.submit(row(gpts["a"], s, 15)) for s in range(5)]
        assert [list(s) for s in streams] == [alone(gpts["a"], s, 15) for s in range(5)]
        assert scheduler.largest_batch == 2
    finally:
        scheduler.close()


def test_an_error_ends_its_own_stream_only(gpts, monkeypatch):
    scheduler = T2SScheduler(max_rows=4)
    try:
        bad = row(gpts["a"], 1, 20)
        original = DecodingRow.draw

        def failing(self):
            if self is bad and self.drawn == 3:
                raise RuntimeError("sampling broke")
            return original(self)

        monkeypatch.setattr(DecodingRow, "draw", failing)
        good = scheduler.submit(row(gpts["a"], 0, 20))
        broken = scheduler.submit(bad)
        with pytest.raises(RuntimeError, match="^sampling broke$"):
            list(broken)
        with pytest.raises(RuntimeError, match="^sampling broke$"):  # and stays failed
            next(broken)
        assert list(good) == alone(gpts["a"], 0, 20)
    finally:
        scheduler.close()


def test_close_ends_running_streams_and_refuses_new_rows(gpts):
    scheduler = T2SScheduler(max_rows=2)
    stream = scheduler.submit(row(gpts["a"], 0, 1000))
    next(stream)
    scheduler.close()
    with pytest.raises(RuntimeError, match="scheduler was closed"):
        list(stream)
    with pytest.raises(RuntimeError, match="^the t2s scheduler is closed$"):
        scheduler.submit(row(gpts["a"], 1, 5))


@pytest.mark.parametrize("kw", [{"max_rows": 0}, {"max_rows": 2.5}, {"prefill_layers": 0}])
def test_bad_settings_are_named(kw):
    name, value = next(iter(kw.items()))
    with pytest.raises(ValueError, match=rf"^{name} must be an integer >= 1, got {value!r}$"):
        T2SScheduler(**kw)


def test_concurrent_engine_streams_equal_one_at_a_time(models, engine):
    """Stream requests of two voices in threads at once (scheduler, chunked vocoding) give the
    bytes that the same requests give one after the other with no scheduler."""
    from tts import TTSEngine

    sequential = TTSEngine(models.bert, models.hubert, device="cpu", max_voices=2, batch_rows=0)
    assert sequential.scheduler is None and engine.scheduler is not None
    texts = ["今天天气很好。我们去公园吧！", "春天来了，花都开了。", "你好，world。", "人工智能改变生活。"]
    refs = [(models.ref_audio, models.ref_text), (models.ref_audio, "今天的天气很好，一起去散步吧。")]

    def run(eng, i):
        voice = eng.load_voice(models.gpt, models.sovits, *refs[i % 2])
        options = SynthesisOptions(max_tokens=24, top_k=30, chunk_tokens=4 if i % 2 else None)
        return [c.pcm.tobytes() for c in eng.stream(texts[i], voice, options, seed=10 + i)]

    expected = [run(sequential, i) for i in range(len(texts))]
    results: dict[int, list[bytes]] = {}
    threads = [threading.Thread(target=lambda i=i: results.__setitem__(i, run(engine, i))) for i in range(len(texts))]
    before = engine.scheduler.rows_stepped
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [results[i] for i in range(len(texts))] == expected
    assert engine.scheduler.rows_stepped > before


def test_a_rows_first_audio_tokens_are_decoded_before_the_others(gpts, monkeypatch):
    """A row submitted with urgent_tokens is stepped alone until it has them, then with the others."""
    import tts.scheduler as scheduler_module

    stepped: list[list[DecodingRow]] = []
    original = scheduler_module.step_rows

    def recording(rows):
        stepped.append(list(rows))
        original(rows)

    monkeypatch.setattr(scheduler_module, "step_rows", recording)
    scheduler = T2SScheduler(max_rows=4)
    try:
        background = scheduler.submit(row(gpts["a"], 0, 300))
        next(background)  # it runs
        first = row(gpts["a"], 1, 20)
        urgent = scheduler.submit(first, urgent_tokens=5)
        assert list(urgent) == alone(gpts["a"], 1, 20)
        with_first = [rows for rows in stepped if first in rows]
        assert [len(rows) for rows in with_first[:5]] == [1] * 5  # alone for its first 5 tokens
        assert len(with_first[5]) == 2  # then with the other row
        background.close()
    finally:
        scheduler.close()


def test_a_newcomer_is_prefilled_between_steps_unless_its_first_audio_waits(gpts, monkeypatch):
    """While rows run, a later segment's prefill is cut into parts with steps in between; a row
    whose request has no audio yet (urgent_tokens) is prefilled in one go."""
    import tts.scheduler as scheduler_module

    events: list[tuple[str, object]] = []
    step, prefill, parts = scheduler_module.step_rows, DecodingRow.prefill, DecodingRow.prefill_parts

    def recording_step(rows):
        events.append(("step", len(rows)))
        step(rows)

    def recording_prefill(self):
        events.append(("prefill", self))
        prefill(self)

    def recording_parts(self, layers):
        for part in parts(self, layers):
            events.append(("part", self))
            yield part

    monkeypatch.setattr(scheduler_module, "step_rows", recording_step)
    monkeypatch.setattr(DecodingRow, "prefill", recording_prefill)
    monkeypatch.setattr(DecodingRow, "prefill_parts", recording_parts)
    scheduler = T2SScheduler(max_rows=4, prefill_layers=1)
    try:
        background = scheduler.submit(row(gpts["a"], 0, 300))
        next(background)  # it runs
        later, first = row(gpts["a"], 1, 20), row(gpts["a"], 2, 20)
        assert list(scheduler.submit(later)) == alone(gpts["a"], 1, 20)
        assert list(scheduler.submit(first, urgent_tokens=3)) == alone(gpts["a"], 2, 20)
        background.close()
    finally:
        scheduler.close()
    later_at = [i for i, (kind, r) in enumerate(events) if r is later]
    assert [events[i][0] for i in later_at] == ["part"] * (gpts["a"].config.n_layer - 1)  # a pause per layer ...
    assert all(events[i + 1][0] == "step" for i in later_at)  # ... for a step of the running row
    assert [kind for kind, r in events if r is first] == ["prefill"]


def test_nothing_is_decoded_while_paused(gpts):
    scheduler = T2SScheduler(max_rows=2)
    try:
        with scheduler.paused():
            stream = scheduler.submit(row(gpts["a"], 0, 15))
            time.sleep(0.2)
            assert stream.row.logits is None and stream.row.drawn == 0  # not even prefilled
        assert list(stream) == alone(gpts["a"], 0, 15)
    finally:
        scheduler.close()
