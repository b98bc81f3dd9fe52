"""Typed result of the text frontend: phones per language piece, as upstream GPT-SoVITS builds them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PhonePiece:
    """One language piece of the input after g2p.

    ``symbols[i]`` has id ``ids[i]`` in the symbol table of the version used. ``word2ph`` (Chinese
    pieces only, else None) says how many phones each character of ``norm_text`` became:
    ``len(word2ph) == len(norm_text)`` and ``sum(word2ph) == len(symbols)``.
    """

    language: str
    symbols: tuple[str, ...]
    ids: tuple[int, ...]
    word2ph: tuple[int, ...] | None
    norm_text: str

    def __post_init__(self) -> None:
        if len(self.symbols) != len(self.ids):
            raise ValueError(f"{len(self.symbols)} symbols but {len(self.ids)} ids")
        if self.word2ph is not None and sum(self.word2ph) != len(self.ids):
            raise ValueError(f"word2ph sums to {sum(self.word2ph)} but there are {len(self.ids)} phones")


@dataclass(frozen=True)
class Phones:
    """The phones of a whole text: its pieces in order (Chinese, English, ...)."""

    pieces: tuple[PhonePiece, ...]

    @property
    def ids(self) -> list[int]:
        """All phone ids, pieces concatenated."""
        return [i for p in self.pieces for i in p.ids]

    @property
    def symbols(self) -> list[str]:
        """All phone symbols, pieces concatenated."""
        return [s for p in self.pieces for s in p.symbols]

    @property
    def word2ph(self) -> list[int]:
        """Concatenated word2ph of the pieces that have one (Chinese); other pieces add nothing."""
        return [n for p in self.pieces if p.word2ph is not None for n in p.word2ph]

    @property
    def norm_text(self) -> str:
        """The normalized text of all pieces joined, as upstream joins them."""
        return "".join(p.norm_text for p in self.pieces)

    def __len__(self) -> int:
        return sum(len(p.ids) for p in self.pieces)
