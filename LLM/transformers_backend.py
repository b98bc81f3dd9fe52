"""Embedded chat backend: a Qwen2.5 folder run with transformers in this process."""

from __future__ import annotations

import asyncio
import itertools
import logging
import threading
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import torch

from .chat import ChatOptions, GenerationSettings, Turn, build_messages, resolve_settings
from .config import LLMConfig
from .errors import LLMError, PromptTooLong

logger = logging.getLogger(__name__)

_REPLACEMENT = "\ufffd"  # what a partial / invalid UTF-8 sequence decodes to
_END = object()  # end-of-stream marker on the piece queue

_DTYPE_NAMES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "float16": torch.float16,
    "fp16": torch.float16,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
}


def pick_device_and_dtype(device: str, dtype: str) -> tuple[str, torch.dtype, bool]:
    """Resolve "auto" settings: (device, dtype, spread over several GPUs with accelerate's device_map)."""
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise LLMError(f"llm.device is {device!r} but CUDA is not available on this machine")
    multi_gpu = device == "cuda" and torch.cuda.device_count() > 1
    if dtype == "auto":
        if device.startswith("cuda"):
            torch_dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        else:
            torch_dtype = torch.float32
    else:
        torch_dtype = _DTYPE_NAMES[dtype]
    return device, torch_dtype, multi_gpu


class _StopOnEvent:
    """StoppingCriteria: stop all sequences once ``event`` is set (checked after every token)."""

    def __init__(self, event: threading.Event) -> None:
        self.event = event

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs) -> torch.BoolTensor:
        # input_ids: (B, T)
        return torch.full((input_ids.shape[0],), self.event.is_set(), dtype=torch.bool, device=input_ids.device)


class PieceStreamer:
    """Streamer for ``generate``: hands out new text as soon as it decodes to whole characters.

    Unlike transformers' TextIteratorStreamer it does not wait for a word boundary or hold back
    full-width punctuation; it only holds back a trailing partial UTF-8 sequence (U+FFFD). Bytes
    that can never become a character are dropped, the same way ``decode_reply`` drops them, so the
    pieces join to exactly the non-streamed reply.
    """

    def __init__(self, tokenizer, emit: Callable[[str], None]) -> None:
        self.tokenizer = tokenizer
        self.emit = emit
        self._ids: list[int] = []
        self._sent = 0  # characters of the decoded text already handed out
        self._prompt_skipped = False

    def put(self, value: torch.Tensor) -> None:
        if not self._prompt_skipped:  # generate() first puts the prompt ids (1, T)
            self._prompt_skipped = True
            return
        self._ids.extend(value.reshape(-1).tolist())
        text = self.tokenizer.decode(self._ids, skip_special_tokens=True)
        stable = text.rstrip(_REPLACEMENT)
        self._release(stable)

    def end(self) -> None:
        self._release(self.tokenizer.decode(self._ids, skip_special_tokens=True))

    def _release(self, text: str) -> None:
        if len(text) > self._sent:
            piece = text[self._sent :].replace(_REPLACEMENT, "")
            self._sent = len(text)
            if piece:
                self.emit(piece)


def generation_failed(path: Path, exc: BaseException) -> LLMError:
    """The error a caller sees when ``generate`` fails; the model folder goes to the log only."""
    logger.error("generation failed with the model in %s", path, exc_info=exc)
    return LLMError(f"generation failed: {type(exc).__name__}: {exc}")


class TransformersChat:
    """A Qwen2.5-style chat model in this process (AutoTokenizer + AutoModelForCausalLM).

    One generation at a time per model (a lock); each request has its own stop event, queue and
    thread. A per-call ``seed`` reseeds torch's global RNG inside ``torch.random.fork_rng`` while the
    lock is held (``generate`` samples from the global RNG), so the RNG state of other code is
    restored afterwards; code on other threads that draws from the global RNG during that window
    would see the seeded stream (our TTS uses its own torch.Generator objects).
    """

    def __init__(self, config: LLMConfig) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if config.model_path is None:
            raise LLMError("llm.model_path is not set (the transformers backend needs a model folder)")
        path = Path(config.model_path)
        if not (path / "config.json").is_file():
            raise LLMError(f"llm.model_path {str(path)!r}: not a model folder (no config.json there)")
        self.config = config
        self.path = path
        self.device, self.dtype, multi_gpu = pick_device_and_dtype(config.device, config.dtype)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path)
            if multi_gpu:
                model = AutoModelForCausalLM.from_pretrained(path, dtype=self.dtype, device_map="auto")
            else:
                model = AutoModelForCausalLM.from_pretrained(path, dtype=self.dtype).to(self.device)
        except (OSError, ValueError, KeyError) as exc:
            raise LLMError(f"could not load the chat model from {str(path)!r}: {exc}") from exc
        if self.tokenizer.chat_template is None:
            raise LLMError(f"{str(path)!r}: the tokenizer has no chat template (need an instruct/chat model)")
        self.model = model.eval()
        self.context_tokens = config.max_context_tokens or model.config.max_position_embeddings
        if self.context_tokens <= config.max_new_tokens:
            raise LLMError(f"llm.max_new_tokens ({config.max_new_tokens}) leaves no room for a prompt in the "
                           f"model's context of {self.context_tokens} tokens (llm.max_context_tokens)")
        self._lock = threading.Lock()
        self._thread_ids = itertools.count()
        self._running = 0  # generation threads started and not ended (guarded by _count_lock)
        self._count_lock = threading.Lock()
        self._rng_devices = list(range(torch.cuda.device_count())) if self.device.startswith("cuda") else []
        logger.info("chat model %s loaded on %s as %s", path, self.device if not multi_gpu else "auto", self.dtype)

    # -- prompt -------------------------------------------------------------------------------------
    def _encode(self, messages: list[dict[str, str]]):
        enc = self.tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=True, return_dict=True, return_tensors="pt"
        )
        return {k: v.to(self.model.device) for k, v in enc.items()}  # input_ids, attention_mask: (1, T)

    def _encode_fitting(self, user_input: str, system_prompt: str, history: list[Turn] | None, max_new_tokens: int):
        """The prompt, with as many of the latest history turns as fit ``context_tokens`` together
        with a reply of ``max_new_tokens``; PromptTooLong when even no history does not fit."""
        history = list(history or ())
        budget = self.context_tokens - max_new_tokens

        def encode(dropped: int):
            enc = self._encode(build_messages(user_input, system_prompt, history[dropped:]))
            return enc if enc["input_ids"].shape[1] <= budget else None

        if (enc := encode(0)) is not None:
            return enc
        if (fitting := encode(len(history))) is None:
            raise PromptTooLong(f"the prompt is longer than the {budget} tokens the model's context of "
                                f"{self.context_tokens} leaves beside a reply of {max_new_tokens} even without "
                                "history: shorten the input or the speaker's system prompt")
        low, high = 0, len(history)  # dropping `low` turns is too long, dropping `high` fits
        while high - low > 1:
            mid = (low + high) // 2
            if (enc := encode(mid)) is None:
                low = mid
            else:
                high, fitting = mid, enc
        logger.warning("dropped the %d oldest of %d history turns: the prompt fits the model's context of %d "
                       "tokens only without them (llm.max_context_tokens)", high, len(history), self.context_tokens)
        return fitting

    def prompt(self, user_input: str, system_prompt: str, history: list[Turn] | None = None) -> str:
        """The exact text the model is given (decoded back from the prompt ids, special tokens included)."""
        with self._lock:
            enc = self._encode_fitting(user_input, system_prompt, history, self.config.max_new_tokens)
            return self.tokenizer.decode(enc["input_ids"][0].tolist(), skip_special_tokens=False)

    # -- generation ---------------------------------------------------------------------------------
    def _generate_kwargs(self, s: GenerationSettings) -> dict:
        kwargs: dict = {"max_new_tokens": s.max_new_tokens, "repetition_penalty": s.repetition_penalty}
        if s.temperature > 0:
            kwargs.update(do_sample=True, temperature=s.temperature, top_p=s.top_p)
        else:
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def _run(self, conversation: tuple[str, str, list[Turn] | None], s: GenerationSettings, *, streamer=None,
             stop: threading.Event | None = None):
        """Generate a reply to ``conversation`` (user input, system prompt, history) under the model
        lock; returns the new token ids (list) or None if stopped before start."""
        from transformers import StoppingCriteriaList

        with self._lock:
            if stop is not None and stop.is_set():
                return None
            enc = self._encode_fitting(*conversation, s.max_new_tokens)
            criteria = StoppingCriteriaList([_StopOnEvent(stop)] if stop is not None else [])
            with torch.random.fork_rng(devices=self._rng_devices, enabled=s.seed is not None), torch.inference_mode():
                if s.seed is not None:
                    torch.manual_seed(s.seed)
                out = self.model.generate(
                    **enc, **self._generate_kwargs(s), streamer=streamer, stopping_criteria=criteria
                )  # (1, T + new)
            return out[0, enc["input_ids"].shape[1] :].tolist()

    def _decode_reply(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True).replace(_REPLACEMENT, "")

    def reply(
        self,
        user_input: str,
        system_prompt: str,
        history: list[Turn] | None = None,
        *,
        options: ChatOptions = ChatOptions(),
    ) -> str:
        """The whole raw reply (blocks; call it off the event loop)."""
        s = resolve_settings(self.config, options)
        try:
            ids = self._run((user_input, system_prompt, history), s)
        except PromptTooLong:
            raise
        except Exception as exc:  # any failure of generate() is the LLM's, never an empty reply
            raise generation_failed(self.path, exc) from exc
        with self._lock:
            return self._decode_reply(ids)

    async def stream(
        self,
        user_input: str,
        system_prompt: str,
        history: list[Turn] | None = None,
        *,
        options: ChatOptions = ChatOptions(),
    ) -> AsyncIterator[str]:
        """Raw reply pieces as they are generated (joined they equal ``reply`` for the same settings).

        Generation runs in its own thread; closing this generator or cancelling its task sets the
        request's stop event, generation stops after the current token, and the thread is joined
        before the close returns.
        """
        s = resolve_settings(self.config, options)
        conversation = (user_input, system_prompt, history)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        stop = threading.Event()

        def emit(item) -> None:
            if stop.is_set():
                return
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the event loop is closed: nobody is listening any more
                stop.set()

        def work() -> None:
            try:
                self._run(conversation, s, streamer=PieceStreamer(self.tokenizer, emit), stop=stop)
            except Exception as exc:  # noqa: BLE001 -- every failure reaches the caller as an LLMError
                emit(exc)
            finally:
                emit(_END)
                with self._count_lock:
                    self._running -= 1

        thread = threading.Thread(target=work, name=f"llm-generate-{next(self._thread_ids)}", daemon=True)
        with self._count_lock:
            self._running += 1
        thread.start()
        try:
            while True:
                item = await queue.get()
                if item is _END:
                    break
                if isinstance(item, PromptTooLong):
                    raise item
                if isinstance(item, BaseException):
                    raise generation_failed(self.path, item) from item
                yield item
        finally:
            stop.set()
            await asyncio.to_thread(thread.join)

    @property
    def generations_running(self) -> int:
        """Generation threads of ``stream`` that have not ended (``reply`` runs in its caller's thread)."""
        with self._count_lock:
            return self._running

    def close(self) -> None:
        """Drop the model and free accelerator memory."""
        with self._lock:
            self.model = None
            if self.device.startswith("cuda"):
                torch.cuda.empty_cache()
