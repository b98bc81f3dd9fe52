"""Preallocated key/value cache for the t2s transformer (one per request)."""

from __future__ import annotations

import torch


class LayerKVCache:
    """Keys and values of one attention layer, in place in buffers sized for the whole request.

    Rows are positions and the heads stay packed, ``(B, max_len, hidden)``, which is the
    layout upstream's concatenated cache has; ``update`` returns views, never copies.
    """

    def __init__(self, batch: int, max_len: int, dim: int, dtype: torch.dtype, device: torch.device | str):
        # torch.empty: pages are only touched (and counted) as positions are written.
        self.k = torch.empty(batch, max_len, dim, dtype=dtype, device=device)  # (B, L_max, C)
        self.v = torch.empty(batch, max_len, dim, dtype=dtype, device=device)  # (B, L_max, C)

    @property
    def max_len(self) -> int:
        return self.k.shape[1]

    def update(self, pos: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write ``k``/``v`` (B, T, C) at positions pos..pos+T-1; return all keys/values so far (B, pos+T, C)."""
        end = pos + k.shape[1]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: position {end} > capacity {self.max_len}")
        self.k[:, pos:end] = k
        self.v[:, pos:end] = v
        return self.k[:, :end], self.v[:, :end]


class KVCache:
    """One ``LayerKVCache`` per transformer layer; the model itself holds no decoding state."""

    def __init__(
        self,
        n_layer: int,
        batch: int,
        max_len: int,
        dim: int,
        dtype: torch.dtype,
        device: torch.device | str,
    ):
        self.layers = [LayerKVCache(batch, max_len, dim, dtype, device) for _ in range(n_layer)]

    def __getitem__(self, i: int) -> LayerKVCache:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)
