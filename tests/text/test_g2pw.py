"""g2pW path: a random-weight G2PWModel folder built like upstream's, against upstream's outputs."""

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from tts.builders.g2pw import build_g2pw_folder, build_test_tokenizer
from tts.text import Frontend
from tts.text.cleaner import clean_text
from tts.text.g2pw import G2PW, G2PWError, load_corrections
from tts.text.symbols import symbol_to_id

GOLDEN = json.loads((Path(__file__).parent / "data" / "zh_golden.json").read_text(encoding="utf-8"))["sentences"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("g2pw")
    return build_g2pw_folder(root / "G2PWModel", seed=0), build_test_tokenizer(root / "bert")


@pytest.fixture(scope="module")
def g2pw(folders) -> G2PW:
    model, bert = folders
    return G2PW.load(model, bert)


@pytest.fixture(scope="module")
def frontend(g2pw) -> Frontend:
    return Frontend(g2pw=g2pw)


def test_folder_interface(folders, g2pw):
    import onnxruntime

    model, _ = folders
    session = onnxruntime.InferenceSession(str(model / "g2pW.onnx"), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == [
        "input_ids", "token_type_ids", "attention_mask", "phoneme_mask", "char_ids", "position_ids"]
    assert {"config.py", "POLYPHONIC_CHARS.txt", "MONOPHONIC_CHARS.txt"} <= {p.name for p in model.iterdir()}
    # one shared encoder row for several queries (upstream's sentence dedup) works
    n_labels = len(g2pw.labels)
    probs = session.run([], {
        "input_ids": np.array([[2, 100, 200, 3]], np.int64), "token_type_ids": np.zeros((1, 4), np.int64),
        "attention_mask": np.ones((1, 4), np.int64), "phoneme_mask": np.ones((3, n_labels), np.float32),
        "char_ids": np.array([0, 1, 2], np.int64), "position_ids": np.array([1, 2, 1], np.int64)})[0]
    assert probs.shape == (3, n_labels)


@pytest.mark.parametrize("case", [s for s in GOLDEN if not s["g2pw_needs_rep_files"]], ids=lambda s: s["text"][:12])
def test_clean_text_g2pw_like_upstream(frontend, case):
    cleaned = clean_text(case["text"], "zh", "v2", frontend._zh["v2"])
    ids, word2ph, norm_text = case["clean_g2pw"]
    to_id = symbol_to_id("v2")
    assert ([to_id[s] for s in cleaned.symbols], list(cleaned.word2ph), cleaned.norm_text) == (ids, word2ph, norm_text)


def test_dedup_matches_per_query(g2pw):
    sentence = "他在银行工作，是行长，长得很高。"
    shared = g2pw.predict([sentence])
    g2pw_single = G2PW.__new__(G2PW)
    g2pw_single.__dict__.update(g2pw.__dict__, dedup_sentences=False)
    assert g2pw_single.predict([sentence]) == shared
    assert all(p is not None for p in shared[0])


def test_corrections_file(tmp_path, g2pw):
    (tmp_path / "polyphonic.rep").write_text("行长: ['hang2', 'zhang3']\n", encoding="utf-8")
    (tmp_path / "polyphonic-fix.rep").write_text("唉: ['ai4']\n", encoding="utf-8")
    table = load_corrections(tmp_path)
    assert table == {"行长": ["hang2", "zhang3"], "唉": ["ai4"]}
    fixer = G2PW.__new__(G2PW)
    fixer.corrections = table
    assert fixer.correct("行长", ["xing2", "chang2"]) == ["hang2", "zhang3"]
    assert fixer.correct("唉呀", ["ai1", "ya5"]) == ["ai4", "ya5"]
    assert load_corrections(tmp_path / "none") is None
    (tmp_path / "polyphonic.rep").write_text("坏行 ['x']\n", encoding="utf-8")
    with pytest.raises(G2PWError, match="polyphonic.rep:1: expected"):
        load_corrections(tmp_path)


def test_missing_files_are_named(tmp_path, folders):
    model, bert = folders
    with pytest.raises(G2PWError, match="G2PWModel folder not found"):
        G2PW.load(tmp_path / "nope", bert)
    (tmp_path / "empty").mkdir()
    with pytest.raises(G2PWError, match="has no g2pW.onnx or g2pw.onnx"):
        G2PW.load(tmp_path / "empty", bert)
    with pytest.raises(ValueError, match="without bert_dir"):
        Frontend(g2pw_dir=model)


def test_without_model_logs_once(caplog):
    import tts.text as text

    text._log_no_g2pw.cache_clear()
    with caplog.at_level(logging.INFO, logger="tts.text"):
        Frontend()
        Frontend()
    assert sum("no g2pW model configured" in r.getMessage() for r in caplog.records) == 1
