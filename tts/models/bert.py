"""Per-phone BERT features of Chinese text, as GPT-SoVITS v2 computes them.

Upstream runs chinese-roberta-wwm-ext-large (with its masked-LM head) on the normalized text of
each Chinese piece, takes ``hidden_states[-3]`` (the output of layer n-2), drops the [CLS] and
[SEP] rows and repeats the row of character i ``word2ph[i]`` times. Other languages get zeros.

We load only the encoder up to that layer (no masked-LM head, no pooler, no last two layers),
so its last hidden state *is* upstream's ``hidden_states[-3]``, with the same weights.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch

from tts.models.checkpoints import CheckpointError, check_keys, torch_load_problem
from tts.models.fast_linear import convert_linears

logger = logging.getLogger(__name__)

LAYERS_FROM_TOP = 2  # upstream takes hidden_states[-3]: the last two layers are never used
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@contextmanager
def _skip_random_init():
    """Build modules without their random initialization (seconds for 300M weights) when
    transformers offers it; the weights are all loaded from the file afterwards."""
    try:
        from transformers.initialization import no_init_weights
    except ImportError:  # other transformers versions: initialize (slower, same result)
        yield
        return
    with no_init_weights():
        yield


def _torch_load(path: Path) -> dict[str, torch.Tensor]:
    """``torch.load`` without unpickling code; memory-mapped unless the file is in the legacy format."""
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as exc:
            if "mmap" not in str(exc):
                raise
            return torch.load(path, map_location="cpu", weights_only=True)  # pre-1.6 (non-zip) file
    except Exception as exc:  # torch raises several types for a corrupt or foreign file
        raise CheckpointError(path, f"cannot read the BERT weights: {torch_load_problem(exc)}") from exc


def _read_weights(folder: Path, wanted: set[str]) -> tuple[Path, dict[str, torch.Tensor]]:
    """Read the tensors whose (``bert.``-less) names are in ``wanted`` from the folder's weight file."""
    for name in _WEIGHT_FILES:
        path = folder / name
        if not path.is_file():
            continue
        out: dict[str, torch.Tensor] = {}
        if name.endswith(".safetensors"):
            from safetensors import safe_open

            with safe_open(str(path), framework="pt") as f:
                for key in f.keys():
                    short = key.removeprefix("bert.")
                    if short in wanted:
                        out[short] = f.get_tensor(key)
        else:
            state = _torch_load(path)
            for key, value in state.items():
                short = key.removeprefix("bert.")
                if short in wanted:
                    out[short] = value
        return path, out
    raise CheckpointError(folder, f"no BERT weights found: expected one of {', '.join(_WEIGHT_FILES)}")


@dataclass
class BertFeatures:
    """chinese-roberta-wwm-ext-large truncated after the layer GPT-SoVITS uses, plus its tokenizer.

    ``features(phones)`` returns ``(hidden_size, n_phones)`` (1024 rows for the real model) on
    the model's device and dtype: Chinese pieces get their characters' rows repeated by
    ``word2ph``, other pieces zeros. Read-only after loading; one call at a time per device is
    the caller's business (it is a plain torch module).
    """

    model: torch.nn.Module
    tokenizer: object
    device: torch.device
    dtype: torch.dtype
    source: Path

    @classmethod
    def load(cls, folder: str | Path, device: str | torch.device = "cpu", dtype: torch.dtype | None = None,
             fast: bool | str = False) -> BertFeatures:
        """Load a Hugging Face BERT folder (config.json, tokenizer, weights); only layers 1..n-2.

        ``fast`` (CPU, float32 only; opt-in): ``"int8"`` (or True) or ``"onednn"`` converts the
        Linear layers as ``tts.models.fast_linear`` describes; features then differ from the
        exact model's within that mode's tolerance."""
        from transformers import AutoTokenizer, BertConfig, BertModel

        folder = Path(folder)
        if not (folder / "config.json").is_file():
            raise CheckpointError(folder, "not a BERT folder: config.json is missing")
        device = torch.device(device)
        dtype = dtype or torch.float32
        convert = bool(fast) and device.type == "cpu"
        if convert and dtype != torch.float32:
            raise ValueError(f"fast mode on CPU converts float32 weights; got dtype {dtype}")
        config = BertConfig.from_pretrained(str(folder))
        total = config.num_hidden_layers
        if total <= LAYERS_FROM_TOP:
            raise CheckpointError(
                folder, f"num_hidden_layers={total}: need more than {LAYERS_FROM_TOP} (upstream uses hidden_states[-3])"
            )
        config.num_hidden_layers = total - LAYERS_FROM_TOP
        with _skip_random_init():  # every weight is overwritten from the file right after
            model = BertModel(config, add_pooling_layer=False)
        wanted = set(model.state_dict())
        path, weights = _read_weights(folder, wanted)
        if convert:
            # private copies: converted layers then replace them one by one, and no tensor keeps
            # the memory-mapped file's pages resident next to the converted copies
            weights = {k: v.clone() for k, v in weights.items()}
        check_keys(model.state_dict(), weights, path, what="config.json")
        # assign: parameters take the (memory-mapped) file tensors, no copy
        model.load_state_dict(weights, strict=True, assign=True)
        del weights  # the model holds the tensors now: a fast-mode conversion frees each as it goes
        model = model.to(device=device, dtype=dtype).eval()
        if convert:
            model = convert_linears(model, "int8" if fast is True else fast)
        tokenizer = AutoTokenizer.from_pretrained(str(folder))
        logger.info("loaded BERT %s: %d of %d layers, hidden %d", folder, config.num_hidden_layers, total, config.hidden_size)
        return cls(model=model, tokenizer=tokenizer, device=device, dtype=dtype, source=folder)

    @property
    def hidden_size(self) -> int:
        return self.model.config.hidden_size

    @torch.inference_mode()
    def char_features(self, text: str) -> torch.Tensor:
        """One row per token of ``text`` ([CLS]/[SEP] dropped): ``(n_tokens, hidden_size)``."""
        enc = self.tokenizer(text, return_tensors="pt")
        limit = self.model.config.max_position_embeddings
        if enc["input_ids"].shape[1] > limit:
            raise ValueError(
                f"text of {len(text)} characters is too long for BERT ({enc['input_ids'].shape[1]} tokens with "
                f"[CLS]/[SEP], at most {limit}): cut it first (split_for_synthesis keeps pieces under 510 characters)"
            )
        enc = {k: v.to(self.device) for k, v in enc.items()}
        hidden = self.model(**enc).last_hidden_state  # (1, n_tokens + 2, hidden)
        return hidden[0, 1:-1]  # (n_tokens, hidden)

    def piece_features(self, norm_text: str, word2ph: list[int] | tuple[int, ...]) -> torch.Tensor:
        """Features of one Chinese piece: row i repeated word2ph[i] times, ``(hidden, sum(word2ph))``.

        A piece longer than BERT's window (510 characters: a long number normalized, say; upstream
        fails on it) gets its features from consecutive windows, each character one token."""
        window = self.model.config.max_position_embeddings - 2  # [CLS] and [SEP]
        if len(norm_text) > window:
            logger.warning("a Chinese piece of %d characters is longer than BERT's window of %d: its features "
                           "come from %d windows", len(norm_text), window, -(-len(norm_text) // window))
        rows = torch.cat([self.char_features(norm_text[i:i + window])
                          for i in range(0, max(len(norm_text), 1), window)])  # (n_tokens, hidden)
        if rows.shape[0] != len(word2ph) or len(norm_text) != len(word2ph):
            raise ValueError(
                f"BERT features of {norm_text!r}: the tokenizer of {self.source} gives {rows.shape[0]} tokens "
                f"for {len(norm_text)} characters, but word2ph has {len(word2ph)} entries; each character "
                "must be one token (upstream asserts this too)"
            )
        counts = torch.tensor(list(word2ph), device=rows.device)
        return rows.repeat_interleave(counts, dim=0).T  # (hidden, n_phones)

    def __call__(self, phones) -> torch.Tensor:
        """``(hidden_size, len(phones))`` features of a ``tts.text.phones.Phones``."""
        parts = []
        for piece in phones.pieces:
            if piece.language == "zh" and piece.word2ph is not None:
                parts.append(self.piece_features(piece.norm_text, piece.word2ph))
            else:
                parts.append(torch.zeros(self.hidden_size, len(piece.ids), device=self.device, dtype=self.dtype))
        if not parts:
            return torch.zeros(self.hidden_size, 0, device=self.device, dtype=self.dtype)
        return torch.cat(parts, dim=1)  # (hidden, n_phones)
