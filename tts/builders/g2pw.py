"""Build a random-weight G2PWModel folder with the inputs, outputs and files of upstream's real one.

The ONNX graph takes upstream's six inputs -- input_ids, token_type_ids, attention_mask (int64,
(B, T)), phoneme_mask (float32, (N, labels)), char_ids and position_ids (int64, (N,)) -- and
returns probabilities (N, labels). B may be 1 while N > 1 (upstream shares one encoder row among
queries on the same sentence). The network is a toy (embeddings, masked mean, a projection) with
seeded random weights: only the interface matches the real model.

The character tables come from the ``g2pw`` pip package's ``char_bopomofo_dict.json``: a fixed set
of common polyphonic characters (simplified and Taiwan-traditional forms) and every character with
one reading as monophonic.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np

# Common polyphonic characters; their Taiwan-traditional forms are added at build time.
COMMON_POLYPHONES = (
    "行长的了得地着还为重会都和差发种便数调传乐朝藏曾空没给好看只将处相少更降解干几什么称"
    "当中要应量结觉角没奇强背薄折露落血率区单朝似哪正切参盛省宿转载教兴冲分尽据挨扎"
    "供号将间假奔难恶系卷圈弹度模曲若识着都朝提吗啊呢哦哈嘛咯呀吧呗"
)
CHINESE_ROBERTA_VOCAB_SIZE = 21128
_CONFIG = """\
# Random-weight stand-in for upstream's G2PWModel (built by tts.builders.g2pw); flags as the real one.
manual_seed = 1313
model_source = "bert-base-chinese"
window_size = 32
use_mask = True
use_char_phoneme = False
use_conditional = True
"""


def _package_data_dir() -> Path:
    """The ``g2pw`` pip package's folder (found without importing it: it imports torch)."""
    from tts.text.g2pw import g2pw_package_dir

    return g2pw_package_dir()


def _char_tables() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    import opencc

    readings: dict[str, list[str]] = json.loads(
        (_package_data_dir() / "char_bopomofo_dict.json").read_text(encoding="utf-8")
    )
    s2tw = opencc.OpenCC("s2tw")
    chars = []
    for c in dict.fromkeys(COMMON_POLYPHONES):
        for form in dict.fromkeys((c, s2tw.convert(c))):
            if len(readings.get(form, [])) >= 2 and form not in chars:
                chars.append(form)
    polyphonic = [(c, b) for c in chars for b in readings[c]]
    monophonic = [(c, r[0]) for c, r in readings.items() if len(r) == 1]
    return polyphonic, monophonic


def _onnx_model(n_labels: int, n_chars: int, vocab_size: int, hidden: int, seed: int):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(seed)

    def weight(name: str, *shape: int) -> onnx.TensorProto:
        return numpy_helper.from_array((rng.standard_normal(shape) * 0.5).astype(np.float32), name)

    inits = [
        weight("word_emb", vocab_size, hidden),
        weight("type_emb", 2, hidden),
        weight("char_emb", n_chars, hidden),
        weight("proj_w", hidden, n_labels),
        weight("proj_b", n_labels),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one_i64"),
        numpy_helper.from_array(np.array([0.0, 1.0], dtype=np.float32), "onehot_values"),
        numpy_helper.from_array(np.array([-1], dtype=np.int64), "axis_last"),
        numpy_helper.from_array(np.array([1], dtype=np.int64), "axis_1"),
        numpy_helper.from_array(np.array(1.0, dtype=np.float32), "one_f"),
        numpy_helper.from_array(np.array(1e4, dtype=np.float32), "big"),
    ]
    n = helper.make_node
    nodes = [
        n("Gather", ["word_emb", "input_ids"], ["tok"]),  # (B, T, H)
        n("Gather", ["type_emb", "token_type_ids"], ["typ"]),  # (B, T, H)
        n("Add", ["tok", "typ"], ["hid_lin"]),
        n("Tanh", ["hid_lin"], ["hid"]),  # (B, T, H)
        n("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT),  # (B, T)
        n("Unsqueeze", ["mask_f", "axis_last"], ["mask3"]),  # (B, T, 1)
        n("Mul", ["hid", "mask3"], ["hid_m"]),
        n("ReduceSum", ["hid_m", "axis_1"], ["hid_sum"], keepdims=0),  # (B, H)
        n("ReduceSum", ["mask3", "axis_1"], ["mask_sum"], keepdims=0),  # (B, 1)
        n("Div", ["hid_sum", "mask_sum"], ["ctx"]),  # (B, H)
        n("Shape", ["input_ids"], ["ids_shape"]),
        n("Gather", ["ids_shape", "one_i64"], ["seq_len"], axis=0),  # (1,)
        n("OneHot", ["position_ids", "seq_len", "onehot_values"], ["pos_1h"], axis=-1),  # (N, T)
        n("Unsqueeze", ["pos_1h", "axis_1"], ["pos_1h3"]),  # (N, 1, T)
        n("MatMul", ["pos_1h3", "hid"], ["at_pos3"]),  # (N, 1, H), B broadcasts
        n("Squeeze", ["at_pos3", "axis_1"], ["at_pos"]),  # (N, H)
        n("Gather", ["char_emb", "char_ids"], ["chr"]),  # (N, H)
        n("Add", ["at_pos", "chr"], ["feat0"]),
        n("Add", ["feat0", "ctx"], ["feat"]),  # (N, H)
        n("MatMul", ["feat", "proj_w"], ["logit0"]),
        n("Add", ["logit0", "proj_b"], ["logits"]),  # (N, L)
        n("Sub", ["phoneme_mask", "one_f"], ["mask_off"]),
        n("Mul", ["mask_off", "big"], ["mask_bias"]),  # 0 allowed, -1e4 not
        n("Add", ["logits", "mask_bias"], ["masked"]),
        n("Softmax", ["masked"], ["probs"], axis=-1),  # (N, L)
    ]
    int_in = [
        helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "seq"])
        for name in ("input_ids", "token_type_ids", "attention_mask")
    ]
    inputs = int_in + [
        helper.make_tensor_value_info("phoneme_mask", TensorProto.FLOAT, ["queries", n_labels]),
        helper.make_tensor_value_info("char_ids", TensorProto.INT64, ["queries"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["queries"]),
    ]
    outputs = [helper.make_tensor_value_info("probs", TensorProto.FLOAT, ["queries", n_labels])]
    graph = helper.make_graph(nodes, "g2pw_random", inputs, outputs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def build_g2pw_folder(path: Path, seed: int = 0, vocab_size: int = CHINESE_ROBERTA_VOCAB_SIZE, hidden: int = 16) -> Path:
    """Write a deterministic random-weight G2PWModel folder at ``path``; returns ``path``.

    ``vocab_size`` must cover the ids of the tokenizer used with it (chinese-roberta: 21128).
    """
    import onnx

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    polyphonic, monophonic = _char_tables()
    n_labels = len({b for _, b in polyphonic})
    n_chars = len({c for c, _ in polyphonic})
    onnx.save(_onnx_model(n_labels, n_chars, vocab_size, hidden, seed), str(path / "g2pW.onnx"))
    (path / "POLYPHONIC_CHARS.txt").write_text("\n".join(f"{c}\t{b}" for c, b in polyphonic) + "\n", encoding="utf-8")
    (path / "MONOPHONIC_CHARS.txt").write_text("\n".join(f"{c}\t{b}" for c, b in monophonic) + "\n", encoding="utf-8")
    (path / "config.py").write_text(_CONFIG, encoding="utf-8")
    for name in ("bopomofo_to_pinyin_wo_tune_dict.json", "char_bopomofo_dict.json"):
        shutil.copyfile(_package_data_dir() / name, path / name)
    return path


def build_test_tokenizer(path: Path) -> Path:
    """Write a BERT-style Chinese tokenizer folder (vocab.txt + tokenizer_config.json) at ``path``.

    Vocabulary: [PAD] [UNK] [CLS] [SEP] [MASK], printable ASCII, CJK punctuation and U+4E00-U+9FA5
    (about 21,000 entries, below chinese-roberta's 21,128), so it pairs with a folder from
    :func:`build_g2pw_folder` when no real BERT folder is at hand.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    ascii_tokens = [chr(c) for c in range(33, 127) if not chr(c).isupper()]
    cjk_punct = list("，。！？、；：“”‘’（）《》【】…—～·")
    cjk = [chr(c) for c in range(0x4E00, 0x9FA6)]
    vocab = list(dict.fromkeys(specials + ascii_tokens + cjk_punct + cjk))
    (path / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    config = {"tokenizer_class": "BertTokenizer", "do_lower_case": True, "model_max_length": 512}
    (path / "tokenizer_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    return path
