"""SoVITS .pth reading: upstream format, version tags, refusal of unsafe pickles, clear errors."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
import torch

from tts.builders.sovits import build_sovits_checkpoint, random_sovits_weights, save_sovits_file, sovits_hps
from tts.models import load_sovits
from tts.models.checkpoints import HParams, read_sovits_file
from tts.models.checkpoints import CheckpointError
from tts.models.sovits import SoVITSConfig


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return build_sovits_checkpoint(tmp_path_factory.mktemp("ckpt") / "tiny.pth", "tiny", seed=0)


@pytest.fixture(scope="module")
def tiny_weights(tiny):
    return read_sovits_file(tiny).weights


def _with_head(src, dst, head: bytes):
    dst.write_bytes(head + src.read_bytes()[2:])
    return dst


def test_file_is_in_upstream_format(tiny, tiny_weights):
    raw = tiny.read_bytes()
    assert raw[:2] == b"PK"
    with zipfile.ZipFile(tiny) as zf:
        pkl = next(n for n in zf.namelist() if n.endswith("data.pkl"))
        assert b"cutils\nHParams\n" in zf.read(pkl)  # the config is pickled as upstream's class
    f = read_sovits_file(tiny)
    assert f.version == "v2" and f.tag is None
    assert all(v.dtype == torch.float16 for v in tiny_weights.values())
    assert not any("enc_q" in k for k in tiny_weights)
    assert tiny_weights["enc_p.text_embedding.weight"].shape == (732, 192)
    assert "dec.ups.0.weight_g" in tiny_weights and "flow.flows.0.enc.cond_layer.weight_v" in tiny_weights
    assert f.config["model"]["gin_channels"] == 512 and f.config["data"]["sampling_rate"] == 32000
    assert "seed 0" in f.info


def test_builder_is_deterministic(tmp_path, tiny_weights):
    other = read_sovits_file(build_sovits_checkpoint(tmp_path / "again.pth", "tiny", seed=0)).weights
    assert other.keys() == tiny_weights.keys()
    assert all(torch.equal(other[k], tiny_weights[k]) for k in other)
    third = read_sovits_file(build_sovits_checkpoint(tmp_path / "seed1.pth", "tiny", seed=1)).weights
    assert not torch.equal(third["enc_p.proj.weight"], tiny_weights["enc_p.proj.weight"])


def test_full_size_config_is_upstream_s2():
    cfg = SoVITSConfig.from_checkpoint_config(sovits_hps("full"), "v2")
    assert cfg == SoVITSConfig()  # our defaults are s2.json
    assert cfg.samples_per_frame == cfg.hop_length == 640


@pytest.mark.parametrize("head,version", [(b"00", "v1"), (b"01", "v2")])
def test_tagged_v1_v2_files_load(tmp_path, tiny, head, version):
    path = _with_head(tiny, tmp_path / "tagged.pth", head)
    f = read_sovits_file(path)
    assert f.tag == version
    assert f.version == "v2"  # the symbol table decides, as upstream: this file has 732 rows
    assert load_sovits(path).version == "v2"


def test_v1_layout_is_detected_by_embedding_rows(tmp_path):
    path = build_sovits_checkpoint(tmp_path / "v1.pth", "tiny", seed=0, version="v1", version_tag="v1")
    assert path.read_bytes()[:2] == b"00"
    f = read_sovits_file(path)
    assert f.version == "v1" and f.weights["enc_p.text_embedding.weight"].shape[0] == 322
    assert f.weights["ref_enc.spectral.0.fc.weight"].shape == (128, 1025)
    assert load_sovits(path).version == "v1"


@pytest.mark.parametrize("head,name", [(b"02", "v3"), (b"03", "v3-LoRA"), (b"04", "v4-LoRA")])
def test_newer_versions_are_refused_by_tag(tmp_path, tiny, head, name):
    path = _with_head(tiny, tmp_path / "new.pth", head)
    with pytest.raises(CheckpointError, match=f"not supported yet: {name}") as exc:
        load_sovits(path)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize("head,name", [(b"05", "v2Pro"), (b"06", "v2ProPlus")])
def test_a_v2pro_tag_on_v2_weights_is_an_error(tmp_path, tiny, head, name):
    path = _with_head(tiny, tmp_path / "new.pth", head)
    with pytest.raises(CheckpointError, match=f"new.pth: tagged {name} but lacks the speaker-verification layers"):
        load_sovits(path)


def test_untagged_v2pro_layout_is_a_v2pro_file_and_v3_is_refused(tmp_path, tiny_weights):
    hps = sovits_hps("tiny")
    pro = dict(tiny_weights, **{"sv_emb.weight": torch.zeros(512, 4), "sv_emb.bias": torch.zeros(512)})
    assert read_sovits_file(save_sovits_file(tmp_path / "pro.pth", pro, hps, "x")).version == "v2Pro"
    v3 = {k: v for k, v in tiny_weights.items() if not k.startswith("enc_p.text_embedding")}
    with pytest.raises(CheckpointError, match="not supported yet: v3"):
        read_sovits_file(save_sovits_file(tmp_path / "v3.pth", v3, hps, "x"))


def test_truncated_and_corrupt_files_name_the_file(tmp_path, tiny):
    raw = tiny.read_bytes()
    cut = tmp_path / "cut.pth"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(CheckpointError, match="truncated or corrupt") as exc:
        read_sovits_file(cut)
    assert str(cut) in str(exc.value)
    garbage = tmp_path / "garbage.pth"
    garbage.write_bytes(b"PK" + os.urandom(2000))
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        read_sovits_file(garbage)
    text = tmp_path / "notes.pth"
    text.write_text("hello, this is not a model")
    with pytest.raises(CheckpointError, match=r"not a SoVITS checkpoint: starts with b'he'"):
        read_sovits_file(text)
    with pytest.raises(CheckpointError, match="cannot read the file"):
        read_sovits_file(tmp_path / "missing.pth")


def test_wrong_kind_of_file_is_refused(tmp_path, tiny_weights):
    gpt_like = tmp_path / "gpt.ckpt"
    torch.save({"weight": {"model.x": torch.zeros(2)}, "config": {"data": {"max_sec": 54}}, "info": ""}, gpt_like)
    with pytest.raises(CheckpointError, match="lacks the 'model' and 'data' sections"):
        read_sovits_file(gpt_like)
    plain = tmp_path / "plain.pth"
    torch.save({k: v for k, v in tiny_weights.items()}, plain)
    with pytest.raises(CheckpointError, match="expected a dict with 'weight' and 'config'"):
        read_sovits_file(plain)


def test_mismatched_weights_list_the_keys(tmp_path, tiny_weights):
    broken = dict(tiny_weights)
    del broken["enc_p.proj.bias"]
    broken["enc_p.extra"] = torch.zeros(1)
    path = save_sovits_file(tmp_path / "broken.pth", broken, sovits_hps("tiny"), "x")
    with pytest.raises(CheckpointError, match=r"missing keys: enc_p.proj.bias; unexpected keys: enc_p.extra"):
        load_sovits(path)


class _Evil:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


@pytest.mark.parametrize("head", [None, b"01"])
def test_malicious_pickle_is_refused_and_never_executed(tmp_path, tiny_weights, head):
    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    torch.save({"weight": {"enc_p.proj.bias": torch.zeros(2)}, "config": _Evil(f"touch {marker}"), "info": ""}, buf)
    data = buf.getvalue() if head is None else head + buf.getvalue()[2:]
    path = tmp_path / "evil.pth"
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=r"refusing to load global '(posix|os|nt)\.system'") as exc:
        load_sovits(path)
    assert str(path) in str(exc.value)
    assert not marker.exists()


def test_other_globals_are_refused(tmp_path):
    path = tmp_path / "eval.pth"
    torch.save({"weight": {}, "config": {"model": {}, "data": {}}, "info": print}, path)
    with pytest.raises(CheckpointError, match=r"refusing to load global '(__builtin__|builtins).print'"):
        read_sovits_file(path)
    # our own stand-in class is only accepted under upstream's name
    torch.save({"weight": {}, "config": HParams(model={}, data={}), "info": ""}, path)
    with pytest.raises(CheckpointError, match=r"refusing to load global 'tts.models.checkpoints.HParams'"):
        read_sovits_file(path)


def test_hparams_stand_in_reads_like_upstream():
    hp = HParams(model={"version": "v2", "upsample_rates": [10, 8]}, name="x")
    assert hp.model.version == "v2" and hp["model"]["upsample_rates"] == [10, 8] and "name" in hp
    assert hp.to_dict() == {"model": {"version": "v2", "upsample_rates": [10, 8]}, "name": "x"}


def test_random_weights_cover_the_whole_model():
    cfg = SoVITSConfig.from_checkpoint_config(sovits_hps("tiny"), "v2")
    w = random_sovits_weights(cfg, seed=0)
    assert w["quantizer.vq.layers.0._codebook.embed"].std() > 0.5
    assert w["quantizer.vq.layers.0._codebook.inited"].item() == 1
