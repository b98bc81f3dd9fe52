"""Tiny Qwen2-architecture chat models for tests and demo mode.

``build_tiny_qwen`` writes a folder laid out like a real Qwen2.5-Instruct download (config.json,
generation_config.json, model.safetensors, tokenizer.json, tokenizer_config.json, chat_template.jinja),
so it loads through exactly the code path of the real model. Weights are random (fixed seed); the
tokenizer is a byte-level BPE trained locally on a small fixed corpus that is mostly Chinese, so the
vocabulary holds many CJK tokens and a random model writes Chinese characters.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

ENDOFTEXT = "<|endoftext|>"
IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
DEFAULT_SYSTEM_PROMPT = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

# Qwen2.5's ChatML template without the tool-calling branches.
CHAT_TEMPLATE = (
    "{%- if messages[0]['role'] == 'system' %}"
    "{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}"
    "{%- else %}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM_PROMPT + "<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- for message in messages %}"
    "{%- if not (loop.first and message['role'] == 'system') %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}"
    "{{- '<|im_start|>assistant\\n' }}"
    "{%- endif %}"
)

_CORPUS = (
    "你好！今天天气真好，我们一起去散步吧。",
    "旅行者，你终于来了，我等你很久了。",
    "星星在夜空中闪烁，像是在诉说着什么秘密。",
    "我喜欢和你聊天，每一次对话都让我很开心。",
    "蒙德的风吹过原野，带来了花的香气。",
    "稻妻的烟花大会就要开始了，你要一起来看吗？",
    "须弥的森林里住着很多可爱的小动物。",
    "别担心，无论发生什么，我都会陪在你身边。",
    "这个问题很有意思，让我想一想再回答你。",
    "嘿嘿，被你发现了！这是我的小秘密哦。",
    "「梦想」是一种很奇妙的东西，它会带我们去很远的地方。",
    "谢谢你！我会继续努力的。",
    "如果累了，就休息一下吧，明天又是新的一天。",
    "我们来玩一个游戏好不好？输了的人要讲一个故事。",
    "今天的晚饭是什么呢？我想吃甜甜的点心。",
    "Hello, traveler! It is a wonderful day for an adventure.",
    "I will always be here with you, no matter what happens.",
    "Let's go and watch the fireworks together tonight.",
    "数字一二三四五六七八九十，还有100和2024年。",
    "（轻轻笑了一下）你真是一个有趣的人。",
)


def _corpus() -> list[str]:
    lines = list(_CORPUS)
    # every sentence also in a few recombinations, so merges have counts without ties dominating
    return lines * 3 + ["".join(lines[i : i + 3]) for i in range(len(lines))]


def _build_tokenizer(vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=2,
        show_progress=False,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tok.train_from_iterator(_corpus(), trainer=trainer)
    # like Qwen: the special tokens come after the regular vocabulary
    tok.add_special_tokens([ENDOFTEXT, IM_START, IM_END])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        eos_token=IM_END,
        pad_token=ENDOFTEXT,
        chat_template=CHAT_TEMPLATE,
        model_max_length=2048,
        clean_up_tokenization_spaces=False,
        split_special_tokens=False,
    )


def build_tiny_qwen(folder: Path, *, seed: int = 0, vocab_size: int = 1024) -> Path:
    """Write a deterministic tiny Qwen2 chat model into ``folder`` and return ``folder``.

    Same arguments -> byte-identical files (with the same torch/transformers versions).
    2 layers, hidden size 64, 4 heads (2 KV heads), tied embeddings. The embedding rows of the
    special tokens are zero, so a random model rarely ends its reply at once.
    """
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = _build_tokenizer(vocab_size)
    special = [tokenizer.convert_tokens_to_ids(t) for t in (ENDOFTEXT, IM_START, IM_END)]
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        rope_theta=1000000.0,
        rms_norm_eps=1e-6,
        tie_word_embeddings=True,
        bos_token_id=special[0],
        eos_token_id=special[2],
        pad_token_id=special[0],
        use_cache=True,
    )
    gen = torch.Generator().manual_seed(seed)
    model = Qwen2ForCausalLM(config).eval()
    with torch.no_grad():
        for name, p in sorted(model.named_parameters()):
            if p.dim() >= 2:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.5)  # (out, in)
            elif name.endswith("norm.weight"):
                p.fill_(1.0)
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.02)
        model.get_input_embeddings().weight[special] = 0.0  # (3, hidden): special tokens score 0
    model.generation_config = GenerationConfig(
        bos_token_id=special[0],
        eos_token_id=[special[2], special[0]],  # <|im_end|>, <|endoftext|> as in Qwen2.5-Instruct
        pad_token_id=special[0],
        do_sample=True,
        temperature=0.7,
        top_p=0.8,
        top_k=20,
        repetition_penalty=1.05,
    )
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    logger.info("tiny Qwen2 chat model written to %s (vocab %d)", folder, len(tokenizer))
    return folder
