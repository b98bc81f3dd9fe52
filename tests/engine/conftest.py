"""Tiny random-weight models, built once per test session, and one engine shared by the tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    from tts.builders import build_tts_models

    return build_tts_models(tmp_path_factory.mktemp("tts-models"), size="tiny", seed=0)


@pytest.fixture(scope="session")
def engine(models):
    from tts import TTSEngine

    torch.set_num_threads(1)
    return TTSEngine(models.bert, models.hubert, device="cpu", max_voices=2)


@pytest.fixture(scope="session")
def voice(engine, models):
    return engine.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text)
