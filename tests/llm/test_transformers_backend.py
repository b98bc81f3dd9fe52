"""The embedded transformers backend on the tiny Qwen2 folder."""

from __future__ import annotations

import asyncio
import re
import threading

import pytest
import torch

from LLM import ChatModel, ChatOptions, LLMConfig, LLMError, PromptTooLong, Turn, load_chat
from LLM.transformers_backend import PieceStreamer, pick_device_and_dtype

SYSTEM = "你是可莉，蒙德的火花骑士。"
HISTORY = [Turn("user", "你好呀"), Turn("assistant", "嘿嘿，你好！"), Turn("user", "今天去哪里玩？"), Turn("assistant", "去炸鱼！")]
CJK = re.compile(r"[\u4e00-\u9fff]")


async def collect(agen) -> list[str]:
    return [piece async for piece in agen]


def generation_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("llm-generate-")]


def test_is_a_chat_model(chat):
    assert isinstance(chat, ChatModel)


def test_prompt_the_model_sees(chat):
    assert chat.prompt("会不会很危险？", SYSTEM, HISTORY) == (
        "<|im_start|>system\n你是可莉，蒙德的火花骑士。<|im_end|>\n"
        "<|im_start|>user\n你好呀<|im_end|>\n"
        "<|im_start|>assistant\n嘿嘿，你好！<|im_end|>\n"
        "<|im_start|>user\n今天去哪里玩？<|im_end|>\n"
        "<|im_start|>assistant\n去炸鱼！<|im_end|>\n"
        "<|im_start|>user\n会不会很危险？<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


@pytest.fixture(scope="module")
def small_context_chat(tiny_qwen):
    """The tiny model with a context of 120 tokens: 100 for the prompt beside a reply of 20."""
    model = load_chat(LLMConfig(model_path=tiny_qwen, device="cpu", max_context_tokens=120, max_new_tokens=20))
    yield model
    model.close()


def prompt_tokens(chat, history) -> int:
    return len(chat.tokenizer.apply_chat_template(
        [{"role": "system", "content": SYSTEM}, *({"role": t.role, "content": t.content} for t in history),
         {"role": "user", "content": "会不会很危险？"}], add_generation_prompt=True, tokenize=True,
        return_dict=True)["input_ids"])


def test_a_history_too_long_for_the_context_loses_its_oldest_turns_only(small_context_chat, caplog):
    history = [Turn("user" if i % 2 == 0 else "assistant", f"第{i}轮") for i in range(12)]
    kept = next(k for k in range(len(history) + 1) if prompt_tokens(small_context_chat, history[k:]) <= 100)
    assert 0 < kept < len(history) and prompt_tokens(small_context_chat, history[kept - 1:]) > 100  # the case
    prompt = small_context_chat.prompt("会不会很危险？", SYSTEM, history)
    assert prompt == small_context_chat.prompt("会不会很危险？", SYSTEM, history[kept:])
    assert f"第{kept}轮" in prompt and f"第{kept - 1}轮" not in prompt
    assert f"dropped the {kept} oldest of 12 history turns" in caplog.text
    caplog.clear()
    short = history[-2:]
    assert small_context_chat.prompt("会不会很危险？", SYSTEM, short).count("第") == 2 and not caplog.text


def test_a_prompt_too_long_without_history_is_refused_before_generating(small_context_chat):
    long_input = "会不会很危险？" * 30
    with pytest.raises(PromptTooLong, match="longer than the 100 tokens the model's context of 120 leaves"):
        small_context_chat.reply(long_input, SYSTEM, HISTORY)
    with pytest.raises(PromptTooLong):
        asyncio.run(collect(small_context_chat.stream(long_input, SYSTEM, HISTORY)))
    assert small_context_chat.generations_running == 0


def test_a_reply_limit_as_long_as_the_context_is_refused_at_load(tiny_qwen):
    with pytest.raises(LLMError, match=r"max_new_tokens \(256\) leaves no room for a prompt in the model's context of 256"):
        load_chat(LLMConfig(model_path=tiny_qwen, device="cpu", max_context_tokens=256, max_new_tokens=256))


def test_greedy_reply_equals_joined_greedy_stream(chat):
    reply = chat.reply("会不会很危险？", SYSTEM, HISTORY, options=ChatOptions(temperature=0, max_new_tokens=30))
    pieces = asyncio.run(collect(chat.stream("会不会很危险？", SYSTEM, HISTORY, options=ChatOptions(temperature=0, max_new_tokens=30))))
    assert len(pieces) > 1
    assert "".join(pieces) == reply
    assert all("\ufffd" not in p and p for p in pieces)
    assert reply  # the random model does not end at once


def test_history_changes_the_reply(chat):
    with_history = chat.reply("会不会很危险？", SYSTEM, HISTORY, options=ChatOptions(temperature=0, max_new_tokens=10))
    without = chat.reply("会不会很危险？", SYSTEM, None, options=ChatOptions(temperature=0, max_new_tokens=10))
    assert with_history != without


def test_seeded_sampling_is_reproducible_and_leaves_global_rng_alone(chat):
    state = torch.get_rng_state()
    a = chat.reply("你好", SYSTEM, options=ChatOptions(seed=7, temperature=1.0, max_new_tokens=30))
    assert torch.equal(torch.get_rng_state(), state)
    b = chat.reply("你好", SYSTEM, options=ChatOptions(seed=7, temperature=1.0, max_new_tokens=30))
    streamed = "".join(asyncio.run(collect(chat.stream("你好", SYSTEM, options=ChatOptions(seed=7, temperature=1.0, max_new_tokens=30)))))
    assert a == b == streamed
    others = {chat.reply("你好", SYSTEM, options=ChatOptions(seed=s, temperature=1.0, max_new_tokens=30)) for s in range(3)}
    assert len(others) > 1
    assert all(CJK.search(r) for r in others)  # the tiny model writes Chinese characters


def test_bad_override_names_it(chat):
    with pytest.raises(ValueError, match="top_p"):
        chat.reply("你好", SYSTEM, options=ChatOptions(top_p=0))
    with pytest.raises(ValueError, match="temperature"):
        chat.reply("你好", SYSTEM, options=ChatOptions(temperature=-1))


def test_streamer_releases_whole_characters_at_once(chat):
    text = "旅行者，你终于来了！🌸我等你很久了。"
    ids = chat.tokenizer(text)["input_ids"]
    pieces: list[str] = []
    streamer = PieceStreamer(chat.tokenizer, pieces.append)
    streamer.put(torch.tensor([[1, 2, 3]]))  # the prompt: skipped
    released_after_token = []
    for i in ids:
        streamer.put(torch.tensor([i]))
        released_after_token.append("".join(pieces))
    streamer.end()
    assert "".join(pieces) == text
    assert all("\ufffd" not in p for p in pieces)
    # some character spans several byte tokens (the emoji): nothing half-decoded came out meanwhile
    assert len(ids) > len(set(released_after_token))
    # full-width punctuation is released with its own token, not held until the next one
    assert "".join(pieces[:]).endswith("。")
    assert any(r.endswith("！") for r in released_after_token)
    assert released_after_token[-1] == text


def test_stop_event_stops_generation_within_a_token(chat):
    from LLM.chat import resolve_settings

    stop = threading.Event()
    pieces: list[str] = []

    def emit(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            stop.set()

    settings = resolve_settings(chat.config, options=ChatOptions(temperature=0, max_new_tokens=500))
    ids = chat._run(("你好", SYSTEM, None), settings, streamer=PieceStreamer(chat.tokenizer, emit), stop=stop)
    assert 3 <= len(ids) <= 3 + 6  # a few byte tokens may make up the third piece; far from 500


def test_closing_the_stream_ends_the_generation_thread(chat):
    async def main():
        agen = chat.stream("你好", SYSTEM, options=ChatOptions(temperature=1.0, seed=1, max_new_tokens=1500))
        first = await agen.__anext__()
        threads = generation_threads()
        assert len(threads) == 1
        await agen.aclose()
        return first, threads[0]

    first, thread = asyncio.run(main())
    assert first
    assert not thread.is_alive()


def test_cancelling_the_consumer_task_ends_the_generation_thread(chat):
    async def main():
        got_one = asyncio.Event()

        async def consume():
            async for _ in chat.stream("你好", SYSTEM, options=ChatOptions(temperature=1.0, seed=2, max_new_tokens=1500)):
                got_one.set()
                await asyncio.Event().wait()  # a client that stops reading

        task = asyncio.create_task(consume())
        await got_one.wait()
        threads = generation_threads()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return threads

    (thread,) = asyncio.run(main())
    assert not thread.is_alive()


def test_device_and_dtype_choice():
    assert pick_device_and_dtype("cpu", "auto") == ("cpu", torch.float32, False)
    assert pick_device_and_dtype("cpu", "bf16")[1] == torch.bfloat16
    if not torch.cuda.is_available():
        assert pick_device_and_dtype("auto", "auto") == ("cpu", torch.float32, False)
        with pytest.raises(LLMError, match="CUDA is not available"):
            pick_device_and_dtype("cuda", "auto")


def test_not_a_model_folder(tmp_path):
    with pytest.raises(LLMError, match=re.escape(f"{str(tmp_path)!r}: not a model folder (no config.json there)")):
        load_chat(LLMConfig(model_path=tmp_path))


@pytest.mark.parametrize("error", [TypeError("bad argument"), KeyError("missing"), AttributeError("no such thing")])
def test_any_generation_failure_is_an_llm_error_never_an_empty_reply(chat, monkeypatch, error):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.setattr(chat.model, "generate", broken)
    expected = rf"^generation failed: {type(error).__name__}: "
    with pytest.raises(LLMError, match=expected):
        chat.reply("你好", SYSTEM, options=ChatOptions(temperature=0, max_new_tokens=5))
    with pytest.raises(LLMError, match=expected):
        asyncio.run(collect(chat.stream("你好", SYSTEM, options=ChatOptions(temperature=0, max_new_tokens=5))))
    assert not generation_threads()  # the failed generation's thread has ended
