"""The GPT-SoVITS networks and their loaders, for upstream's file formats.

``load_t2s`` (GPT ``.ckpt`` -> ``T2SModel``, decoding in ``t2s_generate``; the network in ``t2s``),
``load_sovits`` (SoVITS ``.pth`` -> ``SoVITSModel``, v1 to v2ProPlus), ``load_sv`` (the speaker
verification v2Pro voices need, ``sv``), ``checkpoints`` (reading both files,
strict loading, ``CheckpointError``), ``ssl`` (HuBERT), ``bert`` (text features), ``audio``
(reference audio), ``sampling`` (next-token sampling), ``fast_linear`` (CPU fast modes).
"""

from tts.models.sovits import SoVITSModel, load_sovits  # noqa: F401
from tts.models.sv import SVModel, load_sv  # noqa: F401
from tts.models.t2s_generate import T2SModel, load_t2s  # noqa: F401
