"""BERT features on a tiny random BERT folder built in the test session."""

from __future__ import annotations

import shutil

import pytest
import torch

from tts.builders.bert import FULL_VOCAB_SIZE, build_bert_folder, make_vocab
from tts.models.bert import BertFeatures
from tts.models.checkpoints import CheckpointError
from tts.text.phones import PhonePiece, Phones


@pytest.fixture(scope="module")
def bert_dir(tmp_path_factory):
    return build_bert_folder(tmp_path_factory.mktemp("bert") / "bert-tiny", size="tiny", seed=0)


@pytest.fixture(scope="module")
def bert(bert_dir):
    torch.manual_seed(0)
    return BertFeatures.load(bert_dir, device="cpu")


@pytest.fixture(scope="module")
def reference(bert_dir):
    """Upstream's computation: the whole masked-LM model, hidden_states[-3], [CLS]/[SEP] dropped."""
    from transformers import AutoTokenizer, BertForMaskedLM

    model = BertForMaskedLM.from_pretrained(str(bert_dir)).eval()
    tokenizer = AutoTokenizer.from_pretrained(str(bert_dir))

    def rows(text: str) -> torch.Tensor:
        with torch.no_grad():
            out = model(**tokenizer(text, return_tensors="pt"), output_hidden_states=True)
        return out["hidden_states"][-3][0][1:-1]  # (n_chars, 1024)

    return rows


def _zh(norm_text: str, word2ph: tuple[int, ...]) -> PhonePiece:
    n = sum(word2ph)
    return PhonePiece("zh", ("a1",) * n, (1,) * n, word2ph, norm_text)


def _en(n: int) -> PhonePiece:
    return PhonePiece("en", ("AH0",) * n, (2,) * n, None, "x" * n)


def test_loads_only_the_layers_used(bert, bert_dir):
    from transformers import BertConfig

    total = BertConfig.from_pretrained(str(bert_dir)).num_hidden_layers
    assert len(bert.model.encoder.layer) == total - 2
    assert bert.model.pooler is None
    assert not any(k.startswith("cls") for k in bert.model.state_dict())


def test_features_equal_full_model_hidden_states_minus_3(bert, reference):
    text = "今天天气很好,我们去公园吧!"
    word2ph = tuple(1 if ch in ",!" else 2 for ch in text)
    got = bert(Phones((_zh(text, word2ph),)))  # (1024, n_phones)
    expected = reference(text).repeat_interleave(torch.tensor(word2ph), dim=0).T
    assert got.shape == (1024, sum(word2ph))
    assert torch.allclose(got, expected, atol=1e-5, rtol=0), (got - expected).abs().max()


@pytest.mark.parametrize("fast, tolerance", [("onednn", 1e-5), ("fp16", 1e-2), ("int8", 0.15)])
def test_fast_modes_stay_within_their_stated_error(bert, bert_dir, fast, tolerance):
    from tts.models.fast_linear import OneDNNLinear

    quick = BertFeatures.load(bert_dir, device="cpu", fast=fast)
    text = "今天天气很好,我们去公园吧!"
    phones = Phones((_zh(text, (2,) * len(text)),))
    exact, got = bert(phones), quick(phones)
    assert got.shape == exact.shape
    assert ((got - exact).norm() / exact.norm()).item() < tolerance
    linears = [m for m in quick.model.modules() if isinstance(m, (torch.nn.Linear, OneDNNLinear))]
    assert (fast == "onednn") == bool(linears) and all(isinstance(m, OneDNNLinear) for m in linears)


def test_fast_mode_needs_float32(bert_dir):
    with pytest.raises(ValueError, match="fast mode on CPU converts float32 weights; got dtype torch.float16"):
        BertFeatures.load(bert_dir, device="cpu", dtype=torch.float16, fast="int8")


def test_rows_are_repeated_per_phone_and_other_languages_get_zeros(bert, reference):
    pieces = (_zh("你好", (2, 3)), _en(4), _zh("世界.", (2, 2, 1)))
    got = bert(Phones(pieces))
    assert got.shape == (1024, 5 + 4 + 5) and got.dtype == torch.float32
    first, second = reference("你好"), reference("世界.")
    for col, row in [(0, first[0]), (1, first[0]), (2, first[1]), (4, first[1])]:
        assert torch.allclose(got[:, col], row, atol=1e-5)
    assert torch.count_nonzero(got[:, 5:9]) == 0
    for col, row in [(9, second[0]), (11, second[1]), (13, second[2])]:
        assert torch.allclose(got[:, col], row, atol=1e-5)


def test_frontend_phones_end_to_end(bert):
    from tts.text import text_to_phones

    phones = text_to_phones("我用ChatGPT写代码。", language="zh")
    feats = bert(phones)
    assert feats.shape == (1024, len(phones))
    start = 0
    for piece in phones.pieces:
        block = feats[:, start : start + len(piece.ids)]
        assert (torch.count_nonzero(block) == 0) == (piece.language != "zh")
        start += len(piece.ids)


def test_empty_phones_give_an_empty_matrix(bert):
    assert bert(Phones(())).shape == (1024, 0)


def test_token_count_mismatch_and_too_long_text_are_clear_errors(bert):
    with pytest.raises(ValueError, match=r"gives 3 tokens for 3 characters, but word2ph has 2 entries"):
        bert.piece_features("你好吗", (2, 2))
    with pytest.raises(ValueError, match=r"text of 600 characters is too long for BERT \(602 tokens"):
        bert.char_features("好" * 600)


def test_a_piece_longer_than_the_window_gets_features_window_by_window(bert, reference, caplog):
    text = "".join("一二三四五六七八九十"[i % 10] for i in range(1100))  # 300 digits normalize about this long
    got = bert.piece_features(text, (2,) * 1100)
    assert got.shape == (1024, 2200)
    for start, stop in [(0, 510), (510, 1020), (1020, 1100)]:  # each window is BERT's own view of it
        want = reference(text[start:stop])
        assert torch.allclose(got[:, 2 * start::2][:, :stop - start], want.T, atol=1e-4)
    assert "a Chinese piece of 1100 characters is longer than BERT's window of 510: its features come from 3 windows" \
        in caplog.text


def test_builder_is_deterministic_and_full_vocab_has_real_size(bert_dir, tmp_path):
    again = build_bert_folder(tmp_path / "again", size="tiny", seed=0)
    a = torch.load(bert_dir / "pytorch_model.bin", weights_only=True)
    b = torch.load(again / "pytorch_model.bin", weights_only=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert (bert_dir / "vocab.txt").read_bytes() == (again / "vocab.txt").read_bytes()
    vocab = make_vocab(all_cjk=True)
    assert len(vocab) == len(set(vocab)) == FULL_VOCAB_SIZE
    assert vocab[100:104] == ["[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def test_safetensors_folder_without_mlm_head_loads_the_same(bert, bert_dir, tmp_path):
    from safetensors.torch import save_file

    folder = tmp_path / "st"
    shutil.copytree(bert_dir, folder, ignore=shutil.ignore_patterns("pytorch_model.bin"))
    state = torch.load(bert_dir / "pytorch_model.bin", weights_only=True)
    save_file({k: v.contiguous() for k, v in state.items() if k.startswith("bert.")}, str(folder / "model.safetensors"))
    other = BertFeatures.load(folder)
    phones = Phones((_zh("你好", (2, 2)),))
    assert torch.equal(other(phones), bert(phones))


def test_missing_or_incomplete_weights_name_the_problem(bert_dir, tmp_path):
    with pytest.raises(CheckpointError, match="config.json is missing"):
        BertFeatures.load(tmp_path)
    folder = tmp_path / "noweights"
    shutil.copytree(bert_dir, folder, ignore=shutil.ignore_patterns("pytorch_model.bin"))
    with pytest.raises(CheckpointError, match="no BERT weights found"):
        BertFeatures.load(folder)
    state = torch.load(bert_dir / "pytorch_model.bin", weights_only=True)
    del state["bert.encoder.layer.0.attention.self.query.weight"]
    torch.save(state, folder / "pytorch_model.bin")
    with pytest.raises(CheckpointError, match=r"pytorch_model.bin: .*missing keys: encoder.layer.0.attention.self.query.weight"):
        BertFeatures.load(folder)
