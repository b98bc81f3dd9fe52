from tts.models.sovits import SoVITSModel, load_sovits  # noqa: F401
