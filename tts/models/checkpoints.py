"""Reading upstream GPT-SoVITS model files without running pickled code, and loading them strictly.

- GPT (t2s) ``.ckpt``: ``{"config": {...}, "weight": state dict, "info": str}``, a plain torch
  pickle that ``torch.load(weights_only=True)`` reads (:func:`read_t2s_file`).
- SoVITS ``.pth`` (:func:`read_sovits_file`, below).
- :func:`load_state_dict_strict`: every model's weights go in key for key; a mismatch names the
  file and lists missing, unexpected and mis-shaped keys (:class:`CheckpointError`).

A SoVITS file is a torch zip archive holding ``{"weight": fp16 state dict, "config":
utils.HParams, "info": str}``. Newer files replace the zip's leading ``PK`` with a
two-byte version tag. The ``config`` object is a custom class, so
``torch.load(weights_only=True)`` refuses it; upstream then runs full pickle on
files people download from strangers. We unpickle with an allow-list instead: the
few torch/collections globals a state dict needs, and ``utils.HParams`` mapped to
:class:`HParams` below. Any other global (``os.system``, ``builtins.eval``, ...)
stops the load before it is called.
"""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
from torch import nn


class CheckpointError(ValueError):
    """A model file could not be used; the message names the file and the problem."""

    def __init__(self, path: str | Path, problem: str):
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{self.path}: {problem}")


def check_keys(own: dict[str, torch.Tensor], state_dict: dict[str, torch.Tensor], path: str | Path,
               what: str = "the model") -> None:
    """CheckpointError naming ``path`` and listing missing, unexpected and mis-shaped keys of
    ``state_dict`` against the module state ``own``, unless they match key for key and shape for shape."""
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    misshaped = sorted(
        f"{k} (file {tuple(state_dict[k].shape)}, model {tuple(own[k].shape)})"
        for k in set(own) & set(state_dict)
        if tuple(own[k].shape) != tuple(state_dict[k].shape)
    )
    if missing or unexpected or misshaped:
        parts = []
        for label, keys in (("missing", missing), ("unexpected", unexpected), ("mis-shaped", misshaped)):
            if keys:
                shown = ", ".join(keys[:8]) + (f", ... ({len(keys)} in all)" if len(keys) > 8 else "")
                parts.append(f"{label} keys: {shown}")
        raise CheckpointError(path, f"weights do not match {what}: " + "; ".join(parts))


def torch_load_problem(exc: BaseException) -> str:
    """What a failed ``torch.load(weights_only=True)`` means, in one line, without torch's advice to
    retry unsafely (a model file never needs pickled code)."""
    text = str(exc)
    refused = re.search(r"Unsupported global: GLOBAL (\S+)", text)
    if refused:
        return f"refusing to load global {refused.group(1)!r} (not allowed in a model file)"
    detail = re.search(r"WeightsUnpickler error:\s*(.+?)\s*(?:\n|$)", text)
    if detail:
        return f"corrupt or not a torch file ({detail.group(1).rstrip('.')})"
    if "failed finding central directory" in text or "PytorchStreamReader" in text:
        return "truncated or corrupt torch zip archive"
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"corrupt or not a torch file ({type(exc).__name__}{': ' + first if first else ''})"


def load_state_dict_strict(module: nn.Module, state_dict: dict[str, torch.Tensor], path: str | Path) -> None:
    """Copy ``state_dict`` into ``module`` key for key, casting to each parameter's dtype.

    Raises CheckpointError listing missing, unexpected and mis-shaped keys, so a user
    handed the wrong file learns which file and why instead of a bare RuntimeError.
    """
    own = module.state_dict()
    check_keys(own, state_dict, path)
    cast = {k: v.to(dtype=own[k].dtype) for k, v in state_dict.items()}
    module.load_state_dict(cast, strict=True)


@dataclass(frozen=True)
class T2SFile:
    """A GPT (t2s) checkpoint as read from disk: ``config`` as stored (``tts.models.t2s.T2SConfig``
    checks and reads it), ``weights`` the state dict (fp16, keys ``model.*``)."""

    path: Path
    config: Any
    weights: dict[str, torch.Tensor]
    info: str


def read_t2s_file(path: str | Path) -> T2SFile:
    """Read a GPT ``.ckpt`` without executing pickled code."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(path, "file not found")
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for corrupt or hostile files
        raise CheckpointError(path, f"not a readable GPT (t2s) checkpoint: {torch_load_problem(exc)}") from exc
    if not isinstance(obj, dict) or "weight" not in obj or "config" not in obj:
        keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(path, f"expected a dict with 'weight' and 'config' (a GPT .ckpt), got {keys}")
    weights = obj["weight"]
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise CheckpointError(path, "'weight' is not a state dict of tensors")
    return T2SFile(path=path, config=obj["config"], weights=dict(weights), info=str(obj.get("info", "")))


# ---------------------------------------------------------------- SoVITS .pth

# first two bytes of a tagged file -> model version (upstream process_ckpt.py)
VERSION_TAGS: dict[bytes, str] = {
    b"00": "v1",
    b"01": "v2",
    b"02": "v3",
    b"03": "v3-LoRA",
    b"04": "v4-LoRA",
    b"05": "v2Pro",
    b"06": "v2ProPlus",
}
SUPPORTED_VERSIONS = ("v1", "v2", "v2Pro", "v2ProPlus")
V1_SYMBOLS = 322
V2_SYMBOLS = 732


class HParams:
    """Stand-in for upstream's ``utils.HParams``: attribute and item access to a nested config.

    Only its attribute dictionary is restored from the file; it has no behaviour
    beyond reading those values.
    """

    def __init__(self, **kwargs: Any):
        for key, value in kwargs.items():
            setattr(self, key, HParams(**value) if isinstance(value, dict) else value)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __contains__(self, key: str) -> bool:
        return key in self.__dict__

    def keys(self):
        return self.__dict__.keys()

    def items(self):
        return self.__dict__.items()

    def to_dict(self) -> dict[str, Any]:
        """The config as plain nested dicts."""
        return {k: v.to_dict() if isinstance(v, HParams) else v for k, v in self.__dict__.items()}

    def __repr__(self) -> str:
        return repr(self.__dict__)


# The globals a SoVITS file may name, and what they resolve to. Storage classes
# ("torch.HalfStorage", ...) are resolved by torch.load itself before asking us.
_ALLOWED_GLOBALS: dict[tuple[str, str], Any] = {
    ("collections", "OrderedDict"): __import__("collections").OrderedDict,
    ("torch._utils", "_rebuild_tensor"): torch._utils._rebuild_tensor,
    ("torch._utils", "_rebuild_tensor_v2"): torch._utils._rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): torch._utils._rebuild_parameter,
    ("torch", "Size"): torch.Size,
    ("utils", "HParams"): HParams,
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global '{module}.{name}' (not allowed in a model file)") from None


# torch.load(pickle_module=...) subclasses ``Unpickler`` from the module it is given
_restricted_pickle = SimpleNamespace(Unpickler=_RestrictedUnpickler, load=pickle.load, __name__="restricted_pickle")


@dataclass(frozen=True)
class SoVITSFile:
    """A SoVITS checkpoint as read from disk.

    ``version`` is "v1", "v2", "v2Pro" or "v2ProPlus" (symbol table, speaker-verification input);
    ``tag`` the version tag found in the first bytes, or None for plain zip files;
    ``weights`` the state dict as stored (fp16, without ``enc_q``); ``config`` plain dicts.
    """

    path: Path
    version: str
    tag: str | None
    weights: dict[str, torch.Tensor]
    config: dict[str, Any]
    info: str


def read_version_tag(path: Path, head: bytes) -> str | None:
    """The version a file's first two bytes announce, None for a plain zip ("PK")."""
    if head == b"PK":
        return None
    if head in VERSION_TAGS:
        return VERSION_TAGS[head]
    raise CheckpointError(path, f"not a SoVITS checkpoint: starts with {head!r}, expected a torch zip file ('PK') "
                                f"or a version tag 00-06")


def peek_sovits_version(path: str | Path) -> str | None:
    """The version a SoVITS file's tag announces, read from its first two bytes only (None for an
    untagged or unreadable file: its weights decide when it is loaded)."""
    try:
        with open(path, "rb") as f:
            return VERSION_TAGS.get(f.read(2))
    except OSError:
        return None


def _unsupported(path: Path, version: str) -> CheckpointError:
    return CheckpointError(path, f"not supported yet: {version} (v1, v2, v2Pro and v2ProPlus SoVITS files load)")


def read_sovits_file(path: str | Path) -> SoVITSFile:
    """Read and check an upstream SoVITS ``.pth`` file without executing pickled code.

    Raises CheckpointError naming the file for: missing files, truncated or corrupt
    archives, unknown tags, disallowed pickled globals, missing keys, and v3/v4 files
    ("not supported yet: v3", ...).
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    if len(data) < 4:
        raise CheckpointError(path, f"file too short ({len(data)} bytes) to be a SoVITS checkpoint")
    tag = read_version_tag(path, data[:2])
    if tag is not None and tag not in SUPPORTED_VERSIONS:
        raise _unsupported(path, tag)
    if tag is not None:
        data = b"PK" + data[2:]
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise CheckpointError(path, "truncated or corrupt: not a complete torch zip archive")
    try:
        obj = torch.load(io.BytesIO(data), map_location="cpu", pickle_module=_restricted_pickle, weights_only=False)
    except pickle.UnpicklingError as exc:
        raise CheckpointError(path, f"unsafe or corrupt pickle: {exc}") from exc
    except (RuntimeError, EOFError, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise CheckpointError(path, f"truncated or corrupt checkpoint ({type(exc).__name__}: {exc})") from exc
    return _check_contents(path, tag, obj)


def _check_contents(path: Path, tag: str | None, obj: Any) -> SoVITSFile:
    if not isinstance(obj, dict) or "weight" not in obj or "config" not in obj:
        keys = sorted(obj) if isinstance(obj, dict) else type(obj).__name__
        raise CheckpointError(path, f"not a SoVITS checkpoint: expected a dict with 'weight' and 'config', found {keys}")
    weights = obj["weight"]
    if not isinstance(weights, dict) or not all(isinstance(v, torch.Tensor) for v in weights.values()):
        raise CheckpointError(path, "'weight' is not a state dict of tensors")
    config = obj["config"]
    config = config.to_dict() if isinstance(config, HParams) else config
    if not isinstance(config, dict) or "model" not in config or "data" not in config:
        raise CheckpointError(path, "'config' lacks the 'model' and 'data' sections")
    if "lora_rank" in obj:
        raise _unsupported(path, "v3/v4 LoRA")
    emb = weights.get("enc_p.text_embedding.weight")
    if emb is None or any(k.startswith("cfm.") for k in weights):
        raise _unsupported(path, "v3/v4")
    rows = emb.shape[0]
    if rows not in (V1_SYMBOLS, V2_SYMBOLS):
        raise CheckpointError(path, f"enc_p.text_embedding.weight has {rows} rows; expected {V1_SYMBOLS} (v1) "
                                    f"or {V2_SYMBOLS} (v2 and later)")
    has_sv = any(k.startswith("sv_emb.") for k in weights)
    if tag in ("v2Pro", "v2ProPlus"):
        version = tag
    elif has_sv and tag is None:  # untagged v2Pro files (upstream's pretrained ones): the training config names the version
        named = config.get("model", {}).get("version")
        plus = config.get("model", {}).get("upsample_initial_channel") == 768
        version = named if named in ("v2Pro", "v2ProPlus") else ("v2ProPlus" if plus else "v2Pro")
    else:
        version = "v1" if rows == V1_SYMBOLS else "v2"
    if (version in ("v2Pro", "v2ProPlus")) != has_sv:
        raise CheckpointError(path, f"tagged {version} but {'has' if has_sv else 'lacks'} the speaker-verification "
                                    "layers (sv_emb.*)")
    return SoVITSFile(path=path, version=version, tag=tag, weights=weights, config=config,
                      info=str(obj.get("info", "")))
