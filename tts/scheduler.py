"""Continuous batching of t2s decoding across requests.

On a CPU one t2s decoding step is bound by reading the GPT's weights (310 MB in float32), so
decoding the segments of 8 requests one step at a time together costs little more than one
(``tts.models.t2s_generate.step_rows``). :class:`T2SScheduler` owns one thread that decodes every
active segment (a :class:`~tts.models.t2s_generate.DecodingRow`) of every request:

- a request submits a segment and reads its tokens from the returned :class:`TokenStream` as they
  are drawn; the request's own thread goes on vocoding meanwhile, so GPT and vocoder overlap;
- a newcomer is prefilled before the running rows' next step (fair first audio),
  ``prefill_layers`` layers at a time with one decoding step of the running rows in between, so
  a long prompt does not stall them; newcomers whose request has no audio yet go first, and in
  one go, since that request's first audio waits for it (the running rows then wait once per
  request: about 0.3 s for a full-size GPT on 2 CPU cores);
- a row submitted with ``urgent_tokens`` (the tokens its request's first audio waits for) is
  stepped on its own, before the others and before the next newcomer's prefill, until it has
  them: a one-row step costs about half an eight-row step, and the others wait a few steps once
  per request;
- after that it joins the running rows; each row leaves at its own EOS, token limit or cancel,
  and rows of different GPT checkpoints form separate batches, stepped in turn;
- each row keeps its own generator, cache and limit, so its tokens are exactly the tokens it
  gets decoded alone (float32 on CPU; see ``step_rows``).

At most ``max_rows`` rows decode at once; later segments wait for a free place, first come first
served. :meth:`T2SScheduler.paused` holds decoding back for a moment of urgent work that needs
the cores (the render of a request's first audio). Errors end the affected streams with the
exception; the thread keeps serving.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from tts.models.t2s_generate import DecodingRow, step_rows

logger = logging.getLogger(__name__)

_END = object()  # a TokenStream's end marker


class TokenStream:
    """The semantic tokens of one submitted segment, in order, as the scheduler draws them.

    Iterate it (blocks until the next token; ends after the last one, raises what the decoding
    raised), or ``close()`` it to drop the segment (its row leaves the batch at the next step).
    """

    def __init__(self, row: DecodingRow, cancel: threading.Event | None, urgent_tokens: int = 0):
        self.row = row
        self.cancel = cancel
        self.urgent_tokens = urgent_tokens
        self.closed = False
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        item = self._queue.get()
        if item is _END:
            self._queue.put(_END)  # stays ended
            raise StopIteration
        if isinstance(item, BaseException):
            self._queue.put(item)  # stays failed
            raise item
        return item

    def close(self) -> None:
        """Drop the segment; tokens not read yet are discarded."""
        self.closed = True

    @property
    def urgent(self) -> bool:
        """Its request waits for its first tokens to start speaking."""
        return self.row.drawn < self.urgent_tokens

    @property
    def dropped(self) -> bool:
        return self.closed or (self.cancel is not None and self.cancel.is_set())

    # ---- the scheduler's side
    def _put(self, item) -> None:
        self._queue.put(item)


class T2SScheduler:
    """One thread decoding the t2s rows of all requests together (see the module docstring).

    ``max_rows``: rows decoded at once (more wait); ``prefill_layers``: a newcomer's prefill
    pauses after that many layers for one step of the running rows. The thread starts with the
    first submission and stops with :meth:`close`.
    """

    def __init__(self, max_rows: int = 8, prefill_layers: int = 6):
        if int(max_rows) != max_rows or max_rows < 1:
            raise ValueError(f"max_rows must be an integer >= 1, got {max_rows!r}")
        if int(prefill_layers) != prefill_layers or prefill_layers < 1:
            raise ValueError(f"prefill_layers must be an integer >= 1, got {prefill_layers!r}")
        self.max_rows = int(max_rows)
        self.prefill_layers = int(prefill_layers)
        self._cond = threading.Condition()
        self._waiting: deque[TokenStream] = deque()  # submitted, not prefilled yet
        self._running: list[TokenStream] = []  # prefilled: draw, then step
        self._thread: threading.Thread | None = None
        self._closed = False
        self._pauses = 0  # urgent work in progress elsewhere: decode nothing meanwhile
        self.steps = 0  # batched decoding steps run (for logs and tests)
        self.rows_stepped = 0  # rows in them, summed: rows_stepped / steps = mean batch size
        self.largest_batch = 0  # most rows in one step

    def submit(self, row: DecodingRow, cancel: threading.Event | None = None, urgent_tokens: int = 0) -> TokenStream:
        """Queue ``row`` (from ``T2SModel.new_row``, not prefilled) and return its token stream. Setting
        ``cancel`` or closing the stream drops the row within one step. Its first ``urgent_tokens``
        tokens are decoded before other rows' (what its request's first audio waits for)."""
        stream = TokenStream(row, cancel, urgent_tokens)
        with self._cond:
            if self._closed:
                raise RuntimeError("the t2s scheduler is closed")
            self._waiting.append(stream)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="t2s-scheduler", daemon=True)
                self._thread.start()
            self._cond.notify()
        return stream

    @property
    def active_rows(self) -> int:
        """Rows waiting or decoding now."""
        with self._cond:
            return len(self._waiting) + len(self._running)

    @contextmanager
    def paused(self) -> Iterator[None]:
        """Decode nothing while inside (from any thread; nestable): the step or prefill part in
        progress finishes, the next waits."""
        with self._cond:
            self._pauses += 1
        try:
            yield
        finally:
            with self._cond:
                self._pauses -= 1
                self._cond.notify_all()

    def _wait_while_paused(self) -> None:
        with self._cond:
            while self._pauses and not self._closed:
                self._cond.wait()

    def close(self) -> None:
        """Stop the thread; rows still decoding end their streams with RuntimeError."""
        with self._cond:
            self._closed = True
            self._cond.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    # ---- the decoding thread

    def _run(self) -> None:
        with torch.inference_mode():
            while True:
                with self._cond:
                    while not self._closed and not self._waiting and not self._running:
                        self._cond.wait()
                    if self._closed:
                        break
                    newcomer = self._next_newcomer()
                if newcomer is not None:
                    self._prefill(newcomer)
                else:
                    self._step()
        for stream in [*self._waiting, *self._running]:
            stream._put(RuntimeError("the t2s scheduler was closed"))
        self._waiting.clear()
        self._running.clear()

    def _next_newcomer(self) -> TokenStream | None:
        """The waiting row to prefill now (call with the condition held): none while a running row
        still decodes its first audio's tokens or all places are taken; else the first waiting row
        whose request has no audio yet, else the first in line."""
        if not self._waiting or len(self._running) >= self.max_rows or any(s.urgent for s in self._running):
            return None
        stream = next((s for s in self._waiting if s.urgent_tokens), self._waiting[0])
        self._waiting.remove(stream)
        return stream

    def _prefill(self, stream: TokenStream) -> None:
        """Prefill a newcomer in parts, stepping the running rows between parts; then it runs."""
        if stream.dropped:
            stream._put(_END)
            return
        try:
            self._wait_while_paused()
            with self._cond:
                alone = not self._running
            if alone or stream.urgent_tokens:  # no one to interleave with, or its first audio waits: in one go
                stream.row.prefill()
            else:
                for _ in stream.row.prefill_parts(self.prefill_layers):
                    self._step()
                    self._wait_while_paused()
        except Exception as exc:  # noqa: BLE001 -- ends this stream; the others go on
            logger.exception("t2s prefill failed")
            stream._put(exc)
            return
        with self._cond:
            self._running.append(stream)

    def _step(self) -> None:
        """Draw one token for every running row, drop the rows that ended, then compute the next
        logits of the rest, one batch per model."""
        self._wait_while_paused()
        with self._cond:
            running = list(self._running)
        if not running:
            return
        urgent = [s for s in running if s.urgent and not s.dropped]
        if urgent:  # the others keep their logits and draw at a later step
            running = urgent
        going: list[TokenStream] = []
        for stream in running:
            if stream.dropped:
                stream._put(_END)
                continue
            try:
                token = stream.row.draw()
            except Exception as exc:  # noqa: BLE001
                logger.exception("t2s sampling failed")
                stream._put(exc)
                continue
            if token is None:
                stream._put(_END)
            else:
                stream._put(token)
                going.append(stream)
        by_model: dict[int, list[TokenStream]] = {}
        for stream in going:
            by_model.setdefault(id(stream.row.model), []).append(stream)
        failed: set[TokenStream] = set()
        for group in by_model.values():
            try:
                step_rows([s.row for s in group])
                self.steps += 1
                self.rows_stepped += len(group)
                self.largest_batch = max(self.largest_batch, len(group))
            except Exception as exc:  # noqa: BLE001
                logger.exception("t2s decoding step failed for %d rows", len(group))
                for s in group:
                    s._put(exc)
                failed.update(group)
        with self._cond:
            done = {s for s in running if s not in going} | failed
            self._running = [s for s in self._running if s not in done]
