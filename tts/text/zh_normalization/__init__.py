"""Chinese text normalization (numbers, dates, units, punctuation) as GPT-SoVITS v2 does it."""

from .normalizer import normalize_sentence, normalize_sentences, split_sentences
from .punctuation import normalize_zh

__all__ = ["normalize_sentence", "normalize_sentences", "normalize_zh", "split_sentences"]
