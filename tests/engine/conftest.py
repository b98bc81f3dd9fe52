"""One engine on the tiny random-weight models (``models``, tests/conftest.py), shared by the tests."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="session")
def engine(models):
    from tts import TTSEngine

    torch.set_num_threads(1)
    return TTSEngine(models.bert, models.hubert, device="cpu", max_voices=2)


@pytest.fixture(scope="session")
def voice(engine, models):
    return engine.load_voice(models.gpt, models.sovits, models.ref_audio, models.ref_text)
