"""SSL features for reference prompts: chinese-hubert-base through transformers.

Upstream feeds the raw 16 kHz waveform (no feature-extractor normalisation) to
``HubertModel`` and uses ``last_hidden_state`` transposed to (1, 768, T).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import torch

from tts.models.checkpoints import CheckpointError

logger = logging.getLogger(__name__)


class HubertSSL:
    """A HuBERT model loaded from a local Hugging Face folder (no hub access)."""

    def __init__(self, model, device: torch.device, dtype: torch.dtype):
        self.model = model
        self.device = device
        self.dtype = dtype

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None) -> HubertSSL:
        """Load ``folder`` (config.json + weights). dtype defaults to float32 on CPU, float16 on CUDA.

        Raises CheckpointError naming the folder when it is missing or unreadable.
        """
        from transformers import HubertModel

        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise CheckpointError(folder, "not a HuBERT folder: config.json is missing")
        device = torch.device(device)
        if dtype is None:
            dtype = torch.float16 if device.type == "cuda" else torch.float32
        try:
            model = HubertModel.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise CheckpointError(folder, f"cannot load HuBERT weights ({exc})") from exc
        if model.config.hidden_size != 768:
            raise CheckpointError(folder, f"hidden_size is {model.config.hidden_size}; SoVITS needs 768")
        model = model.to(device=device, dtype=dtype).eval()
        model.requires_grad_(False)
        logger.info("loaded HuBERT from %s", folder)
        return cls(model, device, dtype)

    @torch.inference_mode()
    def __call__(self, wav16k: torch.Tensor | np.ndarray) -> torch.Tensor:
        """1-D 16 kHz waveform (raw, unnormalised) -> features (1, 768, T), T ~ samples / 320."""
        x = torch.as_tensor(wav16k).to(self.device, self.dtype).reshape(1, -1)  # (1, n)
        hidden = self.model(x).last_hidden_state  # (1, T, 768)
        return hidden.transpose(1, 2)  # (1, 768, T)
