"""Model files built once per test session, shared by the test folders that need them; tests
marked ``slow`` (soak runs, full-size models) run only on demand: ``pytest --run-slow``."""

from __future__ import annotations

from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="also run the tests marked slow")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow: run with --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


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


@pytest.fixture(scope="session")
def sv_checkpoint(tmp_path_factory):
    """The random-weight speaker-verification file of v2Pro voices (upstream's one size, ~215 MB), built once."""
    from tts.builders import build_sv_checkpoint

    return build_sv_checkpoint(tmp_path_factory.mktemp("sv") / "pretrained_eres2netv2w24s4ep4.ckpt", seed=0)
