"""The shipped config.yaml and server.config: loading, path resolution, defaults, error messages."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from server.config import (
    ConfigError,
    MissingFile,
    config_path_from_env,
    default_prompt,
    load_config,
    missing_files_message,
    missing_model_files,
)

SHIPPED = Path(__file__).resolve().parents[2] / "config.yaml"
SPEAKERS = ["Firefly", "Klee", "Ayaka", "Nahida", "Tribbie", "Yoimiya", "Citlali"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def shipped_data() -> dict:
    return yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))


def write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


# ---------------------------------------------------------------------------------- shipped config
def test_shipped_config_loads_with_the_seven_speakers():
    config = load_config(SHIPPED)
    assert config.speaker_names() == SPEAKERS
    assert config.llm.backend == "transformers"
    assert config.llm.model_path == (SHIPPED.parent / "models" / "rolePlay_Qwen2.5-7B").resolve()
    assert config.tts.bert_path == (SHIPPED.parent / "models/pretrained/chinese-roberta-wwm-ext-large").resolve()
    assert config.tts.cnhubert_path == (SHIPPED.parent / "models/pretrained/chinese-hubert-base").resolve()
    assert config.tts.g2pw_path == (SHIPPED.parent / "models/G2PWModel").resolve()
    assert config.tts.device == "auto"


@pytest.mark.parametrize("name", SPEAKERS)
def test_shipped_speakers_have_chinese_spoken_style_prompts(name):
    s = load_config(SHIPPED).speakers[name]
    assert s.prompt is not None
    assert len(CJK.findall(s.prompt)) > 60
    sentences = [x for x in re.split(r"[。！？]", s.prompt) if x.strip()]
    assert 4 <= len(sentences) <= 8
    assert "表情符号" in s.prompt and "括号" in s.prompt  # spoken by TTS: no emoji, no stage directions
    assert s.ref_text and CJK.search(s.ref_text)
    assert s.ref_audio.name == f"{name}.wav"


def test_shipped_voice_defaults_are_the_seed_values():
    d = load_config(SHIPPED).voice_defaults
    assert (d.ref_language, d.language, d.speed, d.top_k, d.top_p, d.temperature) == ("zh", "zh", 1.0, 15, 1.0, 1.2)
    nahida = load_config(SHIPPED).speaker("Nahida")
    assert (nahida.options.top_k, nahida.options.temperature, nahida.options.language) == (15, 1.2, "zh")


def test_citlali_transcript_is_flagged_as_yoimiyas_copy():
    config = load_config(SHIPPED)
    assert config.speakers["Citlali"].ref_text == config.speakers["Yoimiya"].ref_text
    text = SHIPPED.read_text(encoding="utf-8")
    citlali = text[text.index("  Citlali:"):]
    assert "copy of Yoimiya's transcript" in citlali
    assert "real transcript of Citlali.wav" in citlali


def test_relative_paths_resolve_against_the_config_folder(tmp_path, monkeypatch):
    shutil.copy(SHIPPED, tmp_path / "config.yaml")
    monkeypatch.chdir(SHIPPED.parent)  # not the config folder: paths must not follow the working directory
    config = load_config(tmp_path / "config.yaml")
    base = tmp_path.resolve()
    assert config.llm.model_path == base / "models" / "rolePlay_Qwen2.5-7B"
    assert config.tts.bert_path == base / "models" / "pretrained" / "chinese-roberta-wwm-ext-large"
    assert config.speakers["Nahida"].gpt_path == base / "models/voices/GPT_models/Nahida/Nahida-e15.ckpt"
    assert config.speakers["Nahida"].sovits_path == base / "models/voices/VITS_models/Nahida/Nahida_e8_s1200.pth"
    assert config.speakers["Nahida"].ref_audio == base / "models/voices/ref_audios/Nahida.wav"


def test_absolute_paths_stay(tmp_path):
    data = shipped_data()
    data["tts"]["bert_path"] = str(tmp_path / "elsewhere" / "bert")
    config = load_config(write(tmp_path, data))
    assert config.tts.bert_path == tmp_path / "elsewhere" / "bert"


# -------------------------------------------------------------------------------------- errors
def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    assert error_of(path) == f"{path}: config file not found (pass --config or set CHAT2AUDIO_CONFIG)"


def test_yaml_syntax_error_names_the_line(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("llm:\n  backend: transformers\ntts: [oops\nspeakers: {}\n", encoding="utf-8")
    message = error_of(path)
    assert message.startswith(f"{path}: not valid YAML (line 4, column 9): ")
    assert "expected ',' or ']'" in message


def test_unknown_key_is_named(tmp_path):
    data = shipped_data()
    data["tts"]["bert_pth"] = data["tts"].pop("bert_path")
    path = write(tmp_path, data)
    assert error_of(path) == (
        "invalid config\n"
        f"{path}: tts.bert_path: required key is missing\n"
        f"{path}: tts.bert_pth: unknown key (check the spelling; see config.yaml for the known keys)")


def test_wrong_type_is_named_with_the_value(tmp_path):
    data = shipped_data()
    data["voice_defaults"]["top_k"] = "abc"
    path = write(tmp_path, data)
    assert error_of(path) == (
        "invalid config\n"
        f"{path}: voice_defaults.top_k: Input should be a valid integer, unable to parse string as an integer "
        "(got 'abc')")


def test_speaker_override_of_wrong_type_is_named(tmp_path):
    data = shipped_data()
    data["speakers"]["Klee"]["top_k"] = "abc"
    path = write(tmp_path, data)
    assert f"{path}: speakers.Klee.top_k: Input should be a valid integer" in error_of(path)


def test_missing_required_speaker_key(tmp_path):
    data = shipped_data()
    del data["speakers"]["Ayaka"]["gpt_path"]
    path = write(tmp_path, data)
    assert error_of(path) == f"invalid config\n{path}: speakers.Ayaka.gpt_path: required key is missing"


def test_openai_backend_without_base_url(tmp_path):
    data = shipped_data()
    data["llm"] = {"backend": "openai", "model": "rolePlay"}
    path = write(tmp_path, data)
    assert error_of(path) == (
        "invalid config\n"
        f"{path}: llm: base_url: required when backend is 'openai' (e.g. http://127.0.0.1:8001/v1)")


def test_openai_backend_config_loads(tmp_path):
    data = shipped_data()
    data["llm"] = {"backend": "openai", "base_url": "http://127.0.0.1:8000/v1", "model": "rolePlay"}
    config = load_config(write(tmp_path, data))
    assert config.llm.base_url == "http://127.0.0.1:8000/v1"
    assert "llm.model_path" not in [m.key for m in missing_model_files(config)]


def test_not_a_mapping(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    assert error_of(path) == f"{path}: the file must hold a mapping with llm, tts and speakers keys"


# ------------------------------------------------------------------------ prompts and voice defaults
def test_speaker_without_prompt_gets_the_default_prompt(tmp_path):
    data = shipped_data()
    del data["speakers"]["Klee"]["prompt"]
    config = load_config(write(tmp_path, data))
    assert config.speakers["Klee"].prompt is None
    assert config.speaker("Klee").prompt == default_prompt("Klee")
    assert "Klee" in default_prompt("Klee")


def test_unknown_speaker_is_a_key_error():
    with pytest.raises(KeyError):
        load_config(SHIPPED).speaker("Bob")


def test_voice_defaults_inherit_and_speakers_override(tmp_path):
    data = shipped_data()
    data["voice_defaults"] = {"top_k": 5, "temperature": 0.8, "speed": 1.1}
    data["speakers"]["Nahida"].update({"top_k": 30, "language": "auto", "ref_language": "en"})
    config = load_config(write(tmp_path, data))
    nahida, klee = config.speaker("Nahida"), config.speaker("Klee")
    n, k = nahida.options, klee.options
    assert (n.top_k, n.language, nahida.ref_language) == (30, "auto", "en")
    assert (n.temperature, n.speed, n.top_p) == (0.8, 1.1, 1.0)  # inherited (top_p: built-in)
    assert (k.top_k, k.language, klee.ref_language, k.temperature) == (5, "zh", "zh", 0.8)


# --------------------------------------------------------------------------------- missing files
def test_missing_model_files_lists_every_path_with_its_key(tmp_path):
    shutil.copy(SHIPPED, tmp_path / "config.yaml")
    config = load_config(tmp_path / "config.yaml")
    missing = missing_model_files(config)
    keys = [m.key for m in missing]
    assert keys == ["tts.bert_path", "tts.cnhubert_path", "tts.g2pw_path", "llm.model_path"] + [
        f"speakers.{n}.{k}" for n in SPEAKERS for k in ("gpt_path", "sovits_path", "ref_audio")]
    assert missing[0] == MissingFile("tts.bert_path", tmp_path.resolve() / "models/pretrained/chinese-roberta-wwm-ext-large")

    message = missing_files_message(tmp_path / "config.yaml", missing)
    lines = message.splitlines()
    assert lines[0] == f"{tmp_path / 'config.yaml'}: 25 model file(s) not found:"
    for m in missing:
        assert f"  {m.key}: {m.path}" in lines
    assert "`python -m tools.download`" in message
    assert "--demo" in message


def test_missing_model_files_for_some_speakers_and_present_files(tmp_path):
    shutil.copy(SHIPPED, tmp_path / "config.yaml")
    config = load_config(tmp_path / "config.yaml")
    for p in (config.tts.bert_path, config.tts.cnhubert_path, config.llm.model_path):
        p.mkdir(parents=True)
    config.speakers["Klee"].gpt_path.parent.mkdir(parents=True)
    config.speakers["Klee"].gpt_path.write_bytes(b"x")
    assert [m.key for m in missing_model_files(config, ["Klee"])] == [
        "tts.g2pw_path", "speakers.Klee.sovits_path", "speakers.Klee.ref_audio"]


def test_a_file_where_a_folder_belongs_counts_as_missing(tmp_path):
    shutil.copy(SHIPPED, tmp_path / "config.yaml")
    config = load_config(tmp_path / "config.yaml")
    config.tts.bert_path.parent.mkdir(parents=True)
    config.tts.bert_path.write_bytes(b"not a folder")
    assert "tts.bert_path" in [m.key for m in missing_model_files(config, [])]


# ------------------------------------------------------------------------------- config location
def test_config_path_precedence(monkeypatch):
    monkeypatch.delenv("CHAT2AUDIO_CONFIG", raising=False)
    assert config_path_from_env() == Path("config.yaml")
    assert config_path_from_env(None) == Path("config.yaml")
    monkeypatch.setenv("CHAT2AUDIO_CONFIG", "/etc/env.yaml")
    assert config_path_from_env() == Path("/etc/env.yaml")
    assert config_path_from_env("cli.yaml") == Path("cli.yaml")
    assert config_path_from_env(Path("cli.yaml")) == Path("cli.yaml")
    monkeypatch.setenv("CHAT2AUDIO_CONFIG", "")
    assert config_path_from_env() == Path("config.yaml")


@pytest.mark.parametrize("key, value, message", [
    ("t2s_batch", 0, "Input should be greater than or equal to 1 (got 0)"),
    ("t2s_batch", 17, "Input should be less than or equal to 16 (got 17)"),
    ("batch_rows", -1, "Input should be greater than or equal to 0 (got -1)"),
    ("batch_rows", 65, "Input should be less than or equal to 64 (got 65)"),
])
def test_batching_settings_out_of_range_are_named(tmp_path, key, value, message):
    data = shipped_data()
    data["tts"][key] = value
    path = write(tmp_path, data)
    assert error_of(path).splitlines()[-1] == f"{path}: tts.{key}: {message}"


def test_demo_keeps_the_configs_way_of_running_the_engine_with_the_demo_models(demo_cache, tmp_path):
    from server.demo import build_demo_config

    data = shipped_data()
    data["tts"].update(batch_rows=0, t2s_batch=4, t2s_fast="int8", max_voices=2, dtype="fp16")
    data["llm"]["max_context_tokens"] = 1024
    demo = build_demo_config(demo_cache, base=load_config(write(tmp_path, data)))
    assert (demo.tts.batch_rows, demo.tts.t2s_batch, demo.tts.t2s_fast, demo.tts.max_voices) == (0, 4, "int8", 2)
    assert (demo.tts.device, demo.tts.dtype, demo.tts.g2pw_path) == ("cpu", "auto", None)  # the demo models' own
    assert demo.tts.bert_path.is_relative_to(demo_cache) and demo.llm.max_context_tokens == 1024
