"""Preallocated key/value cache for the t2s transformer (one per request)."""

from __future__ import annotations

import torch


class LayerKVCache:
    """Keys and values of one attention layer, in place in one buffer sized for the whole request.

    ``kv`` is ``(2, B, heads, max_len, head_dim)``: keys then values, head-major, so attention
    reads each head's keys as one contiguous run (about twice as fast as upstream's
    position-major layout once the weights have flushed the CPU caches; same results) and one
    copy writes a step's keys and values together. ``update`` returns views, never copies.
    """

    def __init__(
        self, batch: int, n_head: int, max_len: int, head_dim: int, dtype: torch.dtype, device: torch.device | str
    ):
        # torch.empty: pages are only touched (and counted) as positions are written.
        self.kv = torch.empty(2, batch, n_head, max_len, head_dim, dtype=dtype, device=device)  # (2, B, H, L_max, D)

    @property
    def max_len(self) -> int:
        return self.kv.shape[3]

    def update(self, pos: int, kv: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write keys and values ``kv`` (2, B, H, T, D) at positions pos..pos+T-1; return all
        keys and all values so far, each (B, H, pos+T, D)."""
        end = pos + kv.shape[3]
        if end > self.max_len:
            raise ValueError(f"KV cache overflow: position {end} > capacity {self.max_len}")
        self.kv[:, :, :, pos:end] = kv
        both = self.kv[:, :, :, :end]
        return both[0], both[1]


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
