"""tools.download against a local stand-in for the hub (no network): where every file lands."""

from __future__ import annotations

import hashlib
import io
import shutil
import zipfile
from pathlib import Path

import pytest
import yaml
from huggingface_hub.utils import filter_repo_objects

from tools import download
from server.config import load_config, missing_model_files
from tools.download import (
    DownloadError,
    HubArchive,
    HubFile,
    HubSnapshot,
    UrlFile,
    extract_g2pw_zip,
    main,
    plan_downloads,
    select_weight_patterns,
)

SHIPPED = Path(__file__).resolve().parents[2] / "config.yaml"
ALL = ["Firefly", "Klee", "Ayaka", "Nahida", "Tribbie", "Yoimiya", "Citlali"]
G2PW_FILES = {
    "g2pW.onnx": b"onnx",
    "POLYPHONIC_CHARS.txt": "行\tㄏㄤˊ\n".encode(),
    "MONOPHONIC_CHARS.txt": "你\tㄋㄧˇ\n".encode(),
    "config.py": b"use_mask = True\n",
    "bopomofo_to_pinyin_wo_tune_dict.json": b"{}",
}
REP_BYTES = {"polyphonic.rep": "湖泊: ['hu2','po1']\n".encode(), "polyphonic-fix.rep": "一丁不识: ['yi1']\n".encode()}


def make_g2pw_zip(path: Path, top: str, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        if top:
            zf.writestr(f"{top}/", b"")
        for name, data in G2PW_FILES.items():
            zf.writestr(f"{top}/{name}" if top else name, data)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


class FakeHub:
    """Local folders laid out like the hub repos; stands in for huggingface_hub and urllib."""

    def __init__(self, root: Path, g2pw_top: str = "G2PWModel"):
        self.root = root
        self.calls: list[tuple[str, str]] = []
        files = {
            "BigPancake01/rolePlay_Qwen2.5-7B": {
                "config.json": b"{}", "generation_config.json": b"{}", "tokenizer.json": b"{}",
                "tokenizer_config.json": b"{}", "vocab.json": b"{}", "merges.txt": b"#",
                "model-00001-of-00002.safetensors": b"w1", "model-00002-of-00002.safetensors": b"w2",
                "model.safetensors.index.json": b"{}", "pytorch_model.bin": b"old weights",
                "README.md": b"# card", "checkpoint-100/model.safetensors": b"training leftover",
            },
            "lj1995/GPT-SoVITS": {
                "chinese-roberta-wwm-ext-large/config.json": b"{}",
                "chinese-roberta-wwm-ext-large/pytorch_model.bin": b"bert",
                "chinese-roberta-wwm-ext-large/tokenizer.json": b"{}",
                "chinese-hubert-base/config.json": b"{}",
                "chinese-hubert-base/preprocessor_config.json": b"{}",
                "chinese-hubert-base/pytorch_model.bin": b"hubert",
                "s2G488k.pth": b"not wanted", "gsv-v2final-pretrained/s2G2333k.pth": b"not wanted",
                "sv/pretrained_eres2netv2w24s4ep4.ckpt": b"speaker verification",
            },
            "BigPancake01/GPT-SoVITS_Mihoyo": {},
        }
        voices = files["BigPancake01/GPT-SoVITS_Mihoyo"]
        for v in download.VOICES:
            for p in v.hub_paths():
                voices[p] = p.encode()
        voices["GPT_models/Someone/Someone-e15.ckpt"] = b"another character"
        for repo, repo_files in files.items():
            for name, data in repo_files.items():
                (root / repo / name).parent.mkdir(parents=True, exist_ok=True)
                (root / repo / name).write_bytes(data)
        (root / "XXXXRT/GPT-SoVITS-Pretrained").mkdir(parents=True)
        make_g2pw_zip(root / "XXXXRT/GPT-SoVITS-Pretrained/G2PWModel.zip", g2pw_top)

    def repo_files(self, repo_id: str) -> list[str]:
        base = self.root / repo_id
        if not base.is_dir():
            raise FileNotFoundError(f"404 repository not found: {repo_id}")
        return sorted(p.relative_to(base).as_posix() for p in base.rglob("*") if p.is_file())

    def hf_hub_download(self, repo_id, filename, *, local_dir, **kwargs):
        self.calls.append(("file", f"{repo_id}/{filename}"))
        src = self.root / repo_id / filename
        if not src.is_file():
            raise FileNotFoundError(f"404 entry not found: {filename}")
        dst = Path(local_dir) / filename
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dst)
        return str(dst)

    def snapshot_download(self, repo_id, *, local_dir, allow_patterns=None, ignore_patterns=None, **kwargs):
        self.calls.append(("snapshot", repo_id))
        for name in filter_repo_objects(self.repo_files(repo_id), allow_patterns=allow_patterns,
                                        ignore_patterns=ignore_patterns):
            dst = Path(local_dir) / name
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(self.root / repo_id / name, dst)
        return str(local_dir)

    def list_repo_files(self, repo_id, **kwargs):
        self.calls.append(("list", repo_id))
        return self.repo_files(repo_id)

    def urlopen(self, url, timeout=None):
        self.calls.append(("url", url))
        return io.BytesIO(REP_BYTES[url.rsplit("/", 1)[1]])


@pytest.fixture
def hub(tmp_path, monkeypatch) -> FakeHub:
    fake = FakeHub(tmp_path / "hub")
    install(fake, monkeypatch)
    return fake


def install(fake: FakeHub, monkeypatch) -> None:
    monkeypatch.setattr(download, "hf_hub_download", fake.hf_hub_download)
    monkeypatch.setattr(download, "snapshot_download", fake.snapshot_download)
    monkeypatch.setattr(download, "list_repo_files", fake.list_repo_files)
    monkeypatch.setattr(download, "urlopen", fake.urlopen)
    monkeypatch.setattr(download, "REP_FILES", {n: hashlib.sha256(b).hexdigest() for n, b in REP_BYTES.items()})


def files_under(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def shipped_config_in(folder: Path):
    shutil.copy(SHIPPED, folder / "config.yaml")
    return load_config(folder / "config.yaml")


# ------------------------------------------------------------------------------------- whole run
def test_everything_lands_where_config_yaml_expects_it(tmp_path, hub, capsys):
    project = tmp_path / "project"
    project.mkdir()
    assert main(["--dest", str(project / "models")]) == 0
    config = shipped_config_in(project)
    assert missing_model_files(config) == []

    models = project / "models"
    assert files_under(models / "rolePlay_Qwen2.5-7B") == [
        "config.json", "generation_config.json", "merges.txt", "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors", "model.safetensors.index.json", "tokenizer.json",
        "tokenizer_config.json", "vocab.json"]  # no .bin copy, no README, no training checkpoints
    assert files_under(models / "pretrained") == [
        "chinese-hubert-base/config.json", "chinese-hubert-base/preprocessor_config.json",
        "chinese-hubert-base/pytorch_model.bin", "chinese-roberta-wwm-ext-large/config.json",
        "chinese-roberta-wwm-ext-large/pytorch_model.bin", "chinese-roberta-wwm-ext-large/tokenizer.json"]
    assert files_under(models / "G2PWModel") == sorted([*G2PW_FILES, *REP_BYTES])
    assert (models / "G2PWModel/polyphonic.rep").read_bytes() == REP_BYTES["polyphonic.rep"]
    assert (models / "G2PWModel/g2pW.onnx").read_bytes() == b"onnx"
    assert len(files_under(models / "voices")) == 3 * 7
    assert (models / "voices/GPT_models/Yoimiya/Yoimiya-e5.ckpt").read_bytes() == b"GPT_models/Yoimiya/Yoimiya-e5.ckpt"
    assert not (models / ".download").exists()  # the zip is gone once unpacked

    out = capsys.readouterr().out
    assert out.startswith(f"done: 26 download(s) into {models}:\n")
    assert f"  XXXXRT/GPT-SoVITS-Pretrained/G2PWModel.zip -> {models / 'G2PWModel'}\n" in out


def test_second_run_skips_the_g2pw_zip_and_the_rep_files(tmp_path, hub, capsys):
    dest = tmp_path / "models"
    assert main(["--dest", str(dest), "--skip-llm", "--speakers", "Klee"]) == 0
    hub.calls.clear()
    assert main(["--dest", str(dest), "--skip-llm", "--speakers", "Klee"]) == 0
    assert ("file", "XXXXRT/GPT-SoVITS-Pretrained/G2PWModel.zip") not in hub.calls
    assert not [c for c in hub.calls if c[0] == "url"]
    assert f"  {dest / 'G2PWModel'} (already present)\n" in capsys.readouterr().out


def test_speakers_subset(tmp_path, hub):
    project = tmp_path / "project"
    project.mkdir()
    assert main(["--dest", str(project / "models"), "--speakers", "Nahida", "Klee", "--skip-llm"]) == 0
    assert files_under(project / "models/voices") == [
        "GPT_models/Klee/Klee-e15.ckpt", "GPT_models/Nahida/Nahida-e15.ckpt",
        "VITS_models/Klee/Klee_e8_s656.pth", "VITS_models/Nahida/Nahida_e8_s1200.pth",
        "ref_audios/Klee.wav", "ref_audios/Nahida.wav"]
    assert not (project / "models/rolePlay_Qwen2.5-7B").exists()
    assert ("list", "BigPancake01/rolePlay_Qwen2.5-7B") not in hub.calls
    config = shipped_config_in(project)
    assert [m.key for m in missing_model_files(config, ["Nahida", "Klee"])] == ["llm.model_path"]
    assert "speakers.Ayaka.gpt_path" in [m.key for m in missing_model_files(config)]


def test_skip_g2pw(tmp_path, hub):
    assert main(["--dest", str(tmp_path / "models"), "--skip-g2pw", "--skip-llm", "--speakers", "Klee"]) == 0
    assert not (tmp_path / "models/G2PWModel").exists()
    assert not [c for c in hub.calls if c[0] == "url" or c[1].endswith("G2PWModel.zip")]


def test_dry_run_writes_nothing_and_fetches_nothing(tmp_path, hub, capsys):
    dest = tmp_path / "models"
    assert main(["--dest", str(dest), "--dry-run", "--speakers", "Tribbie"]) == 0
    assert not dest.exists()
    assert hub.calls == []
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "dry run: 8 download(s) planned, nothing written:"
    assert f"  BigPancake01/GPT-SoVITS_Mihoyo/ref_audios/Tribbie.wav -> {dest / 'voices/ref_audios/Tribbie.wav'}" in out
    assert f"  XXXXRT/GPT-SoVITS-Pretrained/G2PWModel.zip (unzipped) -> {dest / 'G2PWModel'}" in out


# ----------------------------------------------------------------------------------- the plan
def test_plan_is_a_pure_mapping():
    dest = Path("models")
    plan = plan_downloads(dest, ["Nahida"])
    assert plan == [
        HubSnapshot("BigPancake01/rolePlay_Qwen2.5-7B", dest / "rolePlay_Qwen2.5-7B", download.LLM_PATTERNS,
                    ("*/*",), weights_choice=True),
        HubSnapshot("lj1995/GPT-SoVITS", dest / "pretrained",
                    ("chinese-roberta-wwm-ext-large/*", "chinese-hubert-base/*")),
        HubArchive("XXXXRT/GPT-SoVITS-Pretrained", "G2PWModel.zip", dest / ".download", dest / "G2PWModel"),
        UrlFile("https://raw.githubusercontent.com/RVC-Boss/GPT-SoVITS/48b1a0169a28582a8984402f82cf438d3bfa6aca/"
                "GPT_SoVITS/text/g2pw/polyphonic.rep", dest / "G2PWModel/polyphonic.rep",
                "a8f13e2004702cbbf01e2e3fe8436d9d620a0fe4d57176a844704619ffd5df5e"),
        UrlFile("https://raw.githubusercontent.com/RVC-Boss/GPT-SoVITS/48b1a0169a28582a8984402f82cf438d3bfa6aca/"
                "GPT_SoVITS/text/g2pw/polyphonic-fix.rep", dest / "G2PWModel/polyphonic-fix.rep",
                "bbfac0e43e5b1db56566e5eb8b147f7e9b57175e07ffe6303195ee6563682f6b"),
        HubFile("BigPancake01/GPT-SoVITS_Mihoyo", "GPT_models/Nahida/Nahida-e15.ckpt", dest / "voices"),
        HubFile("BigPancake01/GPT-SoVITS_Mihoyo", "VITS_models/Nahida/Nahida_e8_s1200.pth", dest / "voices"),
        HubFile("BigPancake01/GPT-SoVITS_Mihoyo", "ref_audios/Nahida.wav", dest / "voices"),
    ]
    assert plan[5].target == Path("models/voices/GPT_models/Nahida/Nahida-e15.ckpt")


def test_plan_all_speakers_by_default_and_duplicates_once():
    voices = [i for i in plan_downloads("m") if isinstance(i, HubFile)]
    assert [i.filename.split("/")[1] for i in voices[::3]] == ALL
    assert len([i for i in plan_downloads("m", ["Klee", "Klee"]) if isinstance(i, HubFile)]) == 3
    assert [i for i in plan_downloads("m", [], llm=False, g2pw=False)] == [
        HubSnapshot("lj1995/GPT-SoVITS", Path("m/pretrained"),
                    ("chinese-roberta-wwm-ext-large/*", "chinese-hubert-base/*"))]


def test_voice_table_agrees_with_config_yaml():
    config = load_config(SHIPPED)
    assert [v.name for v in download.VOICES] == config.speaker_names()
    voices_dir = SHIPPED.parent / "models" / "voices"
    for v in download.VOICES:
        s = config.speakers[v.name]
        gpt, sovits, ref = v.hub_paths()
        assert (s.gpt_path, s.sovits_path, s.ref_audio) == (
            (voices_dir / gpt).resolve(), (voices_dir / sovits).resolve(), (voices_dir / ref).resolve())


def test_voice_table_agrees_with_the_seed_data():
    seed = Path(__file__).resolve().parents[3] / "shared" / "data" / "seed_speakers.yaml"
    if not seed.exists():
        pytest.skip("seed data not in this checkout")
    speakers = yaml.safe_load(seed.read_text(encoding="utf-8"))["speakers"]
    assert {v.name: (v.gpt, v.sovits) for v in download.VOICES} == {
        n: (s["gpt"], s["sovits"]) for n, s in speakers.items()}


def test_unknown_speaker_lists_the_known_ones(tmp_path, hub, caplog):
    with pytest.raises(DownloadError) as info:
        plan_downloads("models", ["Nahida", "Paimon"])
    assert str(info.value) == (
        "unknown speaker 'Paimon'; known speakers: Firefly, Klee, Ayaka, Nahida, Tribbie, Yoimiya, Citlali")
    assert main(["--dest", str(tmp_path / "models"), "--speakers", "Paimon"]) == 2
    assert str(info.value) in caplog.text
    assert hub.calls == [] and not (tmp_path / "models").exists()


def test_speakers_and_all_speakers_exclude_each_other(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--speakers", "Klee", "--all-speakers"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_weight_choice():
    patterns = download.LLM_PATTERNS
    assert "pytorch_model*.bin" not in select_weight_patterns(patterns, ["config.json", "model.safetensors"])
    only_bin = select_weight_patterns(patterns, ["config.json", "pytorch_model.bin", "ckpt/model.safetensors"])
    assert "pytorch_model*.bin" in only_bin and "*.safetensors" not in only_bin


# ------------------------------------------------------------------------------------ errors
def test_hub_error_names_repo_and_file(tmp_path, hub):
    (hub.root / "BigPancake01/GPT-SoVITS_Mihoyo/ref_audios/Klee.wav").unlink()
    with pytest.raises(DownloadError) as info:
        download.run_plan(plan_downloads(tmp_path / "models", ["Klee"], llm=False, g2pw=False))
    assert str(info.value).startswith(
        "BigPancake01/GPT-SoVITS_Mihoyo: ref_audios/Klee.wav: FileNotFoundError: 404 entry not found: "
        "ref_audios/Klee.wav\n")
    assert "HF_TOKEN" in str(info.value)


def test_hub_error_exits_1_and_says_resume(tmp_path, hub, caplog):
    shutil.rmtree(hub.root / "lj1995")
    assert main(["--dest", str(tmp_path / "models"), "--skip-llm", "--speakers", "Klee"]) == 1
    assert "lj1995/GPT-SoVITS: chinese-roberta-wwm-ext-large/*, chinese-hubert-base/*: FileNotFoundError" in caplog.text
    assert "run the same command again to resume" in caplog.text


def test_rep_file_with_wrong_checksum_is_refused(tmp_path, hub, monkeypatch):
    monkeypatch.setattr(download, "REP_FILES", {"polyphonic.rep": "0" * 64})
    item = plan_downloads(tmp_path / "models", [], llm=False)[2]
    with pytest.raises(DownloadError) as info:
        download.run_plan([item])
    assert str(info.value) == (
        f"{item.url}: sha256 mismatch for polyphonic.rep (expected {'0' * 64}, got "
        f"{hashlib.sha256(REP_BYTES['polyphonic.rep']).hexdigest()})")
    assert not item.target.exists()


# ----------------------------------------------------------------------------- G2PW zip layouts
@pytest.mark.parametrize("top", ["G2PWModel", "G2PWModel_1.1", ""])
def test_g2pw_zip_layouts_unpack_into_the_g2pw_folder(tmp_path, top):
    zip_path = make_g2pw_zip(tmp_path / "G2PWModel.zip", top, extra={"__MACOSX/G2PWModel/._g2pW.onnx": b"junk"})
    target = tmp_path / "models" / "G2PWModel"
    target.mkdir(parents=True)
    (target / "polyphonic.rep").write_bytes(b"kept")
    (target / "g2pW.onnx").write_bytes(b"stale, replaced")
    extract_g2pw_zip(zip_path, target)
    assert files_under(target) == sorted([*G2PW_FILES, "polyphonic.rep"])
    assert (target / "polyphonic.rep").read_bytes() == b"kept"
    assert (target / "g2pW.onnx").read_bytes() == b"onnx"
    assert download.g2pw_folder_complete(target)
    assert not (tmp_path / "models" / ".download").exists()


def test_g2pw_1_1_zip_through_the_whole_run(tmp_path, monkeypatch):
    fake = FakeHub(tmp_path / "hub", g2pw_top="G2PWModel_1.1")
    install(fake, monkeypatch)
    assert main(["--dest", str(tmp_path / "models"), "--skip-llm", "--speakers", "Klee"]) == 0
    assert files_under(tmp_path / "models/G2PWModel") == sorted([*G2PW_FILES, *REP_BYTES])
    assert not (tmp_path / "models/G2PWModel_1.1").exists()


def test_g2pw_zip_without_model(tmp_path):
    zip_path = tmp_path / "G2PWModel.zip"
    with zipfile.ZipFile(zip_path, "w") as zf:
        zf.writestr("G2PWModel/config.py", b"")
    with pytest.raises(DownloadError) as info:
        extract_g2pw_zip(zip_path, tmp_path / "G2PWModel")
    assert str(info.value) == f"{zip_path}: expected one G2PW model folder in the zip, found no g2pW.onnx"


def test_g2pw_zip_broken_or_unsafe(tmp_path):
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"partial download")
    with pytest.raises(DownloadError, match="not a valid zip file"):
        extract_g2pw_zip(broken, tmp_path / "G2PWModel")
    unsafe = make_g2pw_zip(tmp_path / "unsafe.zip", "G2PWModel", extra={"../evil.txt": b"x"})
    with pytest.raises(DownloadError) as info:
        extract_g2pw_zip(unsafe, tmp_path / "G2PWModel")
    assert str(info.value) == f"{unsafe}: unsafe path in zip: '../evil.txt'"
    assert not (tmp_path / "evil.txt").exists()


def test_a_configured_v2pro_voice_brings_the_speaker_verification_model(tmp_path, hub, caplog):
    import yaml

    project = tmp_path / "project"
    (project / "mine").mkdir(parents=True)
    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    data["speakers"]["Nahida"]["sovits_path"] = "mine/Nahida-v2Pro.pth"
    (project / "mine/Nahida-v2Pro.pth").write_bytes(b"05" + b"rest of a tagged v2Pro file")
    (project / "config.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    dest = tmp_path / "models"
    caplog.set_level("INFO")
    assert main(["--dest", str(dest), "--config", str(project / "config.yaml"), "--speakers", "Klee",
                 "--skip-llm", "--skip-g2pw"]) == 0
    assert (dest / "pretrained/sv/pretrained_eres2netv2w24s4ep4.ckpt").read_bytes() == b"speaker verification"
    assert "v2Pro/v2ProPlus voices configured (Nahida)" in caplog.text
    plain = tmp_path / "plain"
    assert main(["--dest", str(plain), "--config", str(SHIPPED), "--speakers", "Klee", "--skip-llm", "--skip-g2pw"]) == 0
    assert not (plain / "pretrained/sv").exists()
    assert main(["--dest", str(plain), "--sv", "--speakers", "Klee", "--skip-llm", "--skip-g2pw"]) == 0
    assert (plain / "pretrained/sv/pretrained_eres2netv2w24s4ep4.ckpt").is_file()


def test_missing_files_name_the_sv_model_only_for_v2pro_voices(tmp_path):
    from server.config import missing_model_files, parse_config
    import yaml

    data = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    assert "tts.sv_path" not in [m.key for m in missing_model_files(parse_config(data, tmp_path / "c.yaml"))]
    (tmp_path / "pro.pth").write_bytes(b"06" + b"x")
    data["speakers"]["Klee"]["sovits_path"] = "pro.pth"
    missing = missing_model_files(parse_config(data, tmp_path / "c.yaml"))
    assert [m.path for m in missing if m.key == "tts.sv_path"] == [
        tmp_path / "models/pretrained/sv/pretrained_eres2netv2w24s4ep4.ckpt"]
