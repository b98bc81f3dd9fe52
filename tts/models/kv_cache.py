"""The key/value cache of the t2s transformer: one ``KVCache`` per layer and request."""

from __future__ import annotations

import torch


class KVCache:
    """Keys and values of one attention layer, written in place into buffers preallocated for
    the whole request.

    Buffers are ``(B, heads, max_len, head_dim)``, head-major, so attention reads each head's
    keys as one contiguous run (about twice as fast as upstream's position-major layout once the
    weights have flushed the CPU caches; same results). The model itself holds no decoding
    state. Written so TorchScript can compile it with the layers that call :meth:`update`.
    """

    def __init__(self, k: torch.Tensor, v: torch.Tensor):
        self.k = k  # (B, H, max_len, D)
        self.v = v  # (B, H, max_len, D)
        self.max_len = k.shape[2]

    def update(self, pos: int, k: torch.Tensor, v: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Write k, v (B, H, T, D) at positions pos..pos+T-1 -> every key and value so far,
        (B, H, pos+T, D) each. The caller checks the capacity first (``check_capacity``)."""
        end = pos + k.shape[2]
        self.k[:, :, pos:end] = k
        self.v[:, :, pos:end] = v
        return self.k[:, :, :end], self.v[:, :, :end]


def empty_caches(n_layer: int, batch: int, n_head: int, max_len: int, head_dim: int, dtype: torch.dtype,
                 device: torch.device | str) -> list[KVCache]:
    """One empty cache per layer for ``max_len`` positions."""
    # torch.empty: pages are only touched (and counted) as positions are written.
    def buffer() -> torch.Tensor:
        return torch.empty(batch, n_head, max_len, head_dim, dtype=dtype, device=device)

    return [KVCache(buffer(), buffer()) for _ in range(n_layer)]


def check_capacity(caches: list[KVCache], end: int) -> None:
    """ValueError unless positions up to ``end`` (exclusive) fit in the caches."""
    capacity = caches[0].max_len
    if end > capacity:
        raise ValueError(f"KV cache overflow: position {end} > capacity {capacity}")
