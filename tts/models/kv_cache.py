"""Preallocated key/value cache for the t2s transformer (one per request)."""

from __future__ import annotations

import torch


class KVCache:
    """Keys and values of every attention layer, in place in buffers sized for the whole request.

    ``buffers[i]`` is layer i's ``(2, B, heads, max_len, head_dim)``: keys then values,
    head-major, so attention reads each head's keys as one contiguous run (about twice as fast
    as upstream's position-major layout once the weights have flushed the CPU caches; same
    results) and one copy writes a step's keys and values together. The layers write positions
    pos..pos+T-1 themselves (``tts.models.t2s.LayerStep``) after :meth:`reserve` checked them.
    The model itself holds no decoding state.
    """

    def __init__(
        self,
        n_layer: int,
        batch: int,
        n_head: int,
        max_len: int,
        head_dim: int,
        dtype: torch.dtype,
        device: torch.device | str,
    ):
        # torch.empty: pages are only touched (and counted) as positions are written.
        self.buffers = [
            torch.empty(2, batch, n_head, max_len, head_dim, dtype=dtype, device=device) for _ in range(n_layer)
        ]
        self.max_len = max_len

    def reserve(self, end: int) -> None:
        """ValueError unless positions up to ``end`` (exclusive) fit."""
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: position {end} > capacity {self.max_len}")

    def __len__(self) -> int:
        return len(self.buffers)
