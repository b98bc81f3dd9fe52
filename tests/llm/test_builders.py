"""The tiny Qwen2 builder: deterministic files laid out like a Qwen2.5-Instruct folder."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

from transformers import AutoTokenizer

from LLM.builders import CHAT_TEMPLATE, IM_END, build_tiny_qwen


def digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_files_every_run(tiny_qwen, tmp_path):
    again = build_tiny_qwen(tmp_path / "again")
    assert digests(again) == digests(tiny_qwen)
    assert set(digests(tiny_qwen)) == {
        "chat_template.jinja",
        "config.json",
        "generation_config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    }


def test_config_and_tokenizer_look_like_qwen(tiny_qwen):
    config = json.loads((tiny_qwen / "config.json").read_text())
    assert config["model_type"] == "qwen2"
    assert config["architectures"] == ["Qwen2ForCausalLM"]
    tok = AutoTokenizer.from_pretrained(tiny_qwen)
    assert tok.chat_template == CHAT_TEMPLATE
    assert tok.eos_token == IM_END
    # ChatML special tokens are single tokens after the regular vocabulary, as in Qwen
    ids = [tok.convert_tokens_to_ids(t) for t in ("<|endoftext|>", "<|im_start|>", "<|im_end|>")]
    assert ids == [config["vocab_size"] - 3, config["vocab_size"] - 2, config["vocab_size"] - 1]
    assert tok("<|im_start|>user\n你好<|im_end|>")["input_ids"][0] == ids[1]
    # the vocabulary holds multi-character Chinese tokens
    assert any(len(t) >= 2 and all("\u4e00" <= ch <= "\u9fff" for ch in t) for t in
               (tok.decode([i]) for i in range(config["vocab_size"] - 3)))  # fmt: skip


def test_default_system_prompt_when_none_is_given(tiny_qwen):
    tok = AutoTokenizer.from_pretrained(tiny_qwen)
    text = tok.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert text == (
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    )


def test_import_loads_no_model():
    code = "import sys, LLM; print('transformers' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]
