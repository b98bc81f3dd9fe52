"""Start-up through the real entrypoints: bad configs and missing model files stop the service with a clear message."""

from __future__ import annotations

from tests.server.conftest import ROOT, run_entrypoint


def test_missing_model_files_stop_the_service_naming_each_file(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text((ROOT / "config.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    done = run_entrypoint("app_stream.py", "--config", str(config), "--port", "1", cwd=tmp_path)
    assert done.returncode == 2
    log = done.stderr
    assert f"{config}: " in log and " model file(s) not found:" in log
    assert f"  speakers.Nahida.gpt_path: {tmp_path / 'models/voices/GPT_models/Nahida/Nahida-e15.ckpt'}" in log
    assert f"  llm.model_path: {tmp_path / 'models/rolePlay_Qwen2.5-7B'}" in log
    assert "python -m tools.download" in log and "--demo" in log
    assert "Uvicorn running" not in log


def test_missing_config_file_is_a_clear_error(tmp_path):
    done = run_entrypoint("app_non_stream.py", "--config", "nope.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert "nope.yaml: config file not found (pass --config or set CHAT2AUDIO_CONFIG)" in done.stderr


def test_invalid_config_names_the_key(tmp_path):
    config = tmp_path / "bad.yaml"
    text = (ROOT / "config.yaml").read_text(encoding="utf-8").replace("max_input_chars: 500", "max_input_chars: -3")
    config.write_text(text, encoding="utf-8")
    done = run_entrypoint("app_stream.py", "--config", str(config), cwd=tmp_path)
    assert done.returncode == 2
    assert f"{config}: server.max_input_chars: Input should be greater than or equal to 1 (got -3)" in done.stderr


def test_help_lists_the_options(tmp_path):
    done = run_entrypoint("app_stream.py", "--help", cwd=tmp_path)
    assert done.returncode == 0
    for option in ("--config", "--host", "--port", "--demo", "default 127.0.0.1", "default 8000"):
        assert option in done.stdout
