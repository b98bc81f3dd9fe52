"""A v2Pro / v2ProPlus voice end to end: the int16 audio equals upstream's for the same files, text and
seed (tests/models/data/v2pro_golden.json "e2e", made by upstream's t2s, SV and SoVITS code)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from tts import SynthesisOptions

GOLDEN = json.loads((Path(__file__).parents[1] / "models" / "data" / "v2pro_golden.json").read_text(encoding="utf-8"))
CASES = {c["name"]: c for c in json.loads(
    (Path(__file__).parent / "data" / "upstream_golden.json").read_text(encoding="utf-8"))["cases"]}


@pytest.fixture()
def two_threads():
    """The thread count these goldens come out bit for bit with: oneDNN picks its convolution
    kernels by thread count, and one of the six cases rounds one way at 1 thread (all within 1 LSB)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def pro_engine(models, sv_checkpoint):
    from tts import TTSEngine

    return TTSEngine(models.bert, models.hubert, device="cpu", max_voices=2, sv_path=sv_checkpoint)


@pytest.fixture(scope="module")
def pro_voices(pro_engine, models, tmp_path_factory):
    from tts.builders.sovits import build_sovits_checkpoint

    root = tmp_path_factory.mktemp("v2pro-voices")
    return {v: pro_engine.load_voice(models.gpt, build_sovits_checkpoint(root / f"{v}.pth", "tiny", seed=0, version=v),
                                     models.ref_audio, models.ref_text)
            for v in ("v2Pro", "v2ProPlus")}


@pytest.mark.parametrize("version, gold", [(v, g) for v in ("v2Pro", "v2ProPlus") for g in GOLDEN["e2e"][v]],
                         ids=lambda x: x if isinstance(x, str) else x["name"])
def test_audio_equals_upstream(pro_engine, pro_voices, version, gold, two_threads):
    case = CASES[gold["name"]]
    voice = pro_voices[version]
    assert voice.version == version
    options = SynthesisOptions(top_k=case.get("top_k", 15), max_tokens=case["max_tokens"])
    sr, wav = pro_engine.synthesize(case["text"], voice, options, seed=case["seed"])
    assert sr == 32000 and len(wav) == gold["n_samples"]
    assert int(np.abs(wav[::101].astype(np.int32) - np.array(gold["every_101th"])).max()) <= 1
    assert hashlib.sha256(wav.astype("<i2").tobytes()).hexdigest() == gold["sha256"]


def test_a_v2pro_voice_without_the_sv_model_is_a_clear_error(engine, models, tmp_path):
    from tts.builders.sovits import build_sovits_checkpoint
    from tts.models.checkpoints import CheckpointError

    pro = build_sovits_checkpoint(tmp_path / "pro.pth", "tiny", seed=0, version="v2Pro")
    with pytest.raises(CheckpointError, match=r"pro\.pth: a v2Pro/v2ProPlus voice needs the speaker-verification model "
                                              r"pretrained_eres2netv2w24s4ep4\.ckpt: set tts\.sv_path"):
        engine.load_voice(models.gpt, pro, models.ref_audio, models.ref_text)


def test_a_v2pro_voice_streams_in_chunks(pro_engine, pro_voices):
    options = SynthesisOptions(max_tokens=30)
    chunks = list(pro_engine.stream("今天天气很好。", pro_voices["v2Pro"], replace(options, chunk_tokens=8), seed=1))
    whole = pro_engine.synthesize("今天天气很好。", pro_voices["v2Pro"], options, seed=1)[1]
    assert len(chunks) > 1 and sum(len(c.pcm) for c in chunks) == len(whole)
