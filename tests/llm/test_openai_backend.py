"""The openai backend against a real OpenAI-compatible server (`transformers serve`) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
import threading

import pytest

from LLM import ChatOptions, LLMConfig, LLMError, Turn, load_chat

from .conftest import free_port

SYSTEM = "你是宵宫，长野原烟花店的店主。"
HISTORY = [Turn("user", "烟花大会什么时候开始？"), Turn("assistant", "今晚就开始哦！")]


async def collect(agen) -> list[str]:
    return [piece async for piece in agen]


def speakable(text: str) -> str:
    # `transformers serve` sends undecodable bytes as U+FFFD (our own backend drops them) and strips
    # leading whitespace off a whole reply
    return text.replace("\ufffd", "").strip()


@pytest.fixture(scope="module")
def remote(served_tiny_qwen, tiny_qwen):
    model = load_chat(LLMConfig(backend="openai", base_url=served_tiny_qwen, model=str(tiny_qwen), timeout_s=60))
    yield model
    model.close()


def test_greedy_reply_matches_the_embedded_backend(remote, chat):
    # same folder, same chat template, same greedy decoding: same words (system, history, input all reached the server)
    local = chat.reply("你会放烟花吗？", SYSTEM, HISTORY, options=ChatOptions(temperature=0, max_new_tokens=24))
    served = remote.reply("你会放烟花吗？", SYSTEM, HISTORY, options=ChatOptions(temperature=0, max_new_tokens=24))
    assert speakable(served) == speakable(local)
    assert local


def test_stream_carries_the_reply(remote, chat):
    pieces = asyncio.run(collect(remote.stream("你会放烟花吗？", SYSTEM, HISTORY, options=ChatOptions(temperature=0, max_new_tokens=24))))
    local = speakable(chat.reply("你会放烟花吗？", SYSTEM, HISTORY, options=ChatOptions(temperature=0, max_new_tokens=24)))
    assert len(pieces) > 1
    streamed = speakable("".join(pieces))
    # `transformers serve` drops a still-undecodable tail at the end of a stream (here: the random
    # model's last bytes), so the streamed text is the reply up to its last one or two characters
    assert local.startswith(streamed)
    assert len(streamed) >= len(local) - 2


def test_closing_the_stream_early_leaves_the_server_usable(remote):
    async def main():
        agen = remote.stream("你好", SYSTEM, options=ChatOptions(temperature=1.0, seed=3, max_new_tokens=200))
        first = await agen.__anext__()
        await agen.aclose()
        return first

    assert asyncio.run(main())
    assert remote.reply("你好", SYSTEM, options=ChatOptions(temperature=0, max_new_tokens=4))


def test_http_error_names_url_status_and_body(served_tiny_qwen):
    wrong = load_chat(LLMConfig(backend="openai", base_url=served_tiny_qwen, model="no-such-model"))
    with pytest.raises(LLMError) as info:
        wrong.reply("你好", SYSTEM)
    message = str(info.value)
    assert message.startswith(f"LLM server {served_tiny_qwen}/chat/completions answered HTTP 400: ")
    assert "no-such-model" in message  # the server's own explanation
    with pytest.raises(LLMError, match="answered HTTP 400"):
        asyncio.run(collect(wrong.stream("你好", SYSTEM)))


def test_unreachable_server_is_a_clear_error():
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    model = load_chat(LLMConfig(backend="openai", base_url=url, model="qwen"))
    with pytest.raises(LLMError, match=f"^LLM server {url}/chat/completions is unreachable: "):
        model.reply("你好", SYSTEM)
    with pytest.raises(LLMError, match=f"^LLM server {url}/chat/completions is unreachable: "):
        asyncio.run(collect(model.stream("你好", SYSTEM)))


def test_silent_server_times_out_with_a_clear_error():
    with socket.socket() as server:  # accepts connections, never answers
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"http://127.0.0.1:{server.getsockname()[1]}/v1"
        model = load_chat(LLMConfig(backend="openai", base_url=url, model="qwen", timeout_s=0.5))
        with pytest.raises(LLMError, match=f"^LLM server {url}/chat/completions did not answer within 0.5 s$"):
            model.reply("你好", SYSTEM)
        with pytest.raises(LLMError, match="did not answer within 0.5 s"):
            asyncio.run(collect(model.stream("你好", SYSTEM)))
    assert not [t for t in threading.enumerate() if t.name.startswith("llm-generate-")]
