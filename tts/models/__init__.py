from tts.models.sovits import SoVITSModel, load_sovits  # noqa: F401
from tts.models.sv import SVModel, load_sv  # noqa: F401
from tts.models.t2s import T2SModel, load_t2s  # noqa: F401
