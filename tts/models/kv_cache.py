"""Preallocated key/value cache for the t2s transformer (one per request)."""

from __future__ import annotations

import torch


class LayerKVCache:
    """Keys and values of one attention layer, in place in buffers sized for the whole request.

    Head-major ``(B, heads, max_len, head_dim)``: attention reads each head's keys as one
    contiguous run (about twice as fast as upstream's position-major layout once the weights
    have flushed the CPU caches; same results). ``update`` returns views, never copies.
    """

    def __init__(
        self, batch: int, n_head: int, max_len: int, head_dim: int, dtype: torch.dtype, device: torch.device | str
    ):
        # torch.empty: pages are only touched (and counted) as positions are written.
        self.k = torch.empty(batch, n_head, max_len, head_dim, dtype=dtype, device=device)  # (B, H, L_max, D)
        self.v = torch.empty(batch, n_head, max_len, head_dim, dtype=dtype, device=device)  # (B, H, L_max, D)

    @property
    def max_len(self) -> int:
        return self.k.shape[2]

    def update(self, pos: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write ``k``/``v`` (B, H, T, D) at positions pos..pos+T-1; return all keys/values so far (B, H, pos+T, D)."""
        end = pos + k.shape[2]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: position {end} > capacity {self.max_len}")
        self.k[:, :, pos:end] = k
        self.v[:, :, pos:end] = v
        return self.k[:, :, :end], self.v[:, :, :end]


class KVCache:
    """One ``LayerKVCache`` per transformer layer; the model itself holds no decoding state."""

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
        self.layers = [LayerKVCache(batch, n_head, max_len, head_dim, dtype, device) for _ in range(n_layer)]

    def __getitem__(self, i: int) -> LayerKVCache:
        return self.layers[i]

    def __len__(self) -> int:
        return len(self.layers)
