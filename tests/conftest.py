"""Model files built once per test session, shared by the test folders that need them."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def models(tmp_path_factory):
    """Tiny random-weight TTS models in upstream's file formats (``tts.builders``)."""
    from tts.builders import build_tts_models

    return build_tts_models(tmp_path_factory.mktemp("tts-models"), size="tiny", seed=0)


@pytest.fixture(scope="session")
def demo_cache(tmp_path_factory) -> Path:
    """The demo models, built once here so the servers under test do not race to build them."""
    from server.demo import build_demo_config

    cache = tmp_path_factory.mktemp("demo-cache")
    build_demo_config(cache)
    return cache
