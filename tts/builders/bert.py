"""Random-weight BERT folders shaped like chinese-roberta-wwm-ext-large, in its Hugging Face format.

The folder holds ``config.json``, ``pytorch_model.bin`` (a ``BertForMaskedLM`` state dict, keys
``bert.*`` and ``cls.*``, as the real download) and a ``BertTokenizerFast`` with a generated
vocabulary in which every Chinese character of the vocabulary is one token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

_SPECIAL = ["[PAD]"] + [f"[unused{i}]" for i in range(1, 100)] + ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]
_CJK_PUNCTUATION = "，。！？、；：“”‘’（）《》【】「」『』…—·～￥"
FULL_VOCAB_SIZE = 21128


@dataclass(frozen=True)
class BertShape:
    """Sizes of a BERT encoder (chinese-roberta-wwm-ext-large for "full")."""

    num_hidden_layers: int  # upstream takes the output of layer n-2 (hidden_states[-3])
    hidden_size: int  # 1024: the t2s model's BERT input width, fixed
    num_attention_heads: int
    intermediate_size: int
    all_cjk: bool  # vocabulary with every CJK character U+4E00-U+9FA5, else GB2312 level 1 only


SHAPES = {
    "tiny": BertShape(num_hidden_layers=3, hidden_size=1024, num_attention_heads=4, intermediate_size=64, all_cjk=False),
    "full": BertShape(num_hidden_layers=24, hidden_size=1024, num_attention_heads=16, intermediate_size=4096, all_cjk=True),
}


def _common_cjk() -> list[str]:
    """GB2312 level-1 characters (the 3755 most common simplified characters), in code order."""
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return chars


def make_vocab(all_cjk: bool) -> list[str]:
    """Special tokens, printable ASCII, CJK punctuation, then Chinese characters (one token each).

    With ``all_cjk`` the list is padded with ``[unused...]`` tokens to the real size, 21128.
    """
    vocab = list(_SPECIAL)
    vocab += [chr(c) for c in range(33, 127) if not chr(c).isupper()]  # the tokenizer lowercases
    vocab += list(_CJK_PUNCTUATION)
    vocab += [chr(c) for c in range(0x4E00, 0x9FA6)] if all_cjk else _common_cjk()
    if all_cjk:
        if len(vocab) > FULL_VOCAB_SIZE:
            raise AssertionError(f"generated vocabulary has {len(vocab)} tokens, more than {FULL_VOCAB_SIZE}")
        vocab += [f"[unused{i}]" for i in range(100, 100 + FULL_VOCAB_SIZE - len(vocab))]
    return vocab


def build_bert_folder(path: str | Path, size: str = "tiny", seed: int = 0) -> Path:
    """Write a deterministic random-weight BERT folder (same size and seed -> same weights).

    ``size="full"`` has chinese-roberta-wwm-ext-large's shapes (24 layers, hidden 1024, 16 heads,
    intermediate 4096, vocabulary 21128, ~1.3 GB); ``"tiny"`` keeps hidden 1024 (the t2s input
    width) with 3 layers, a 64-wide feed-forward and a 3.9k-token vocabulary (~70 MB).
    """
    from transformers import BertConfig, BertForMaskedLM, BertTokenizerFast

    if size not in SHAPES:
        raise ValueError(f"size must be one of {sorted(SHAPES)}, got {size!r}")
    shape = SHAPES[size]
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    vocab = make_vocab(shape.all_cjk)
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(
        vocab={tok: i for i, tok in enumerate(vocab)}, do_lower_case=True, tokenize_chinese_chars=True
    )
    tokenizer.save_pretrained(str(path))
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=shape.hidden_size,
        num_hidden_layers=shape.num_hidden_layers,
        num_attention_heads=shape.num_attention_heads,
        intermediate_size=shape.intermediate_size,
        max_position_embeddings=512,
        type_vocab_size=2,
        pad_token_id=0,
        architectures=["BertForMaskedLM"],
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = BertForMaskedLM(config).eval()
    config.save_pretrained(str(path))
    torch.save(model.state_dict(), path / "pytorch_model.bin")  # tied decoder weight stored once
    logger.info("wrote a %s random BERT folder to %s", size, path)
    return path
