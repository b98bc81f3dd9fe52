"""g2pW polyphone prediction with an upstream ``G2PWModel`` folder (ONNX), as GPT-SoVITS v2 runs it.

Folder contents used: ``g2pW.onnx`` (or ``g2pw.onnx``), ``POLYPHONIC_CHARS.txt``,
``MONOPHONIC_CHARS.txt``, ``config.py`` (read as data, never executed: ``use_mask``,
``use_char_phoneme``), ``bopomofo_to_pinyin_wo_tune_dict.json`` (falls back to the copy in the
``g2pw`` pip package), and optionally upstream's phrase corrections ``polyphonic.rep`` and
``polyphonic-fix.rep`` (see :func:`load_corrections`). The tokenizer is the BERT folder's.

Pipeline per sentence (upstream order): simplified -> Taiwan traditional (OpenCC s2tw); polyphonic
characters are predicted by the model from a window of 16 characters each side; monophonic ones
come from MONOPHONIC_CHARS; the rest from pypinyin on the simplified sentence.
"""

from __future__ import annotations

import ast
import json
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

logger = logging.getLogger(__name__)

ONNX_NAMES = ("g2pW.onnx", "g2pw.onnx")
CORRECTION_FILES = ("polyphonic.rep", "polyphonic-fix.rep")
# Characters upstream never sends to the model, and monophonic entries it ignores.
NOT_POLYPHONIC = frozenset("一不和咋嗲剖差攢倒難奔勁拗肖瘙誒泊听噢")
NOT_MONOPHONIC = frozenset("似攢")
MAX_TOKENS = 512
_CONFIG_DEFAULTS = {"use_mask": True, "use_char_phoneme": False}


class G2PWError(ValueError):
    """A G2PWModel folder is missing a file or has an unreadable one."""


def _read_config(path: Path) -> dict[str, Any]:
    """Top-level ``name = literal`` assignments of the folder's config.py (not executed)."""
    config = dict(_CONFIG_DEFAULTS)
    if not path.exists():
        return config
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except SyntaxError as e:
        raise G2PWError(f"{path}: not readable as Python: {e}") from e
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                config[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                continue  # not a literal (e.g. a computed path); upstream only needs the flags
    return config


def _read_char_table(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        raise G2PWError(f"G2PWModel folder {path.parent} has no {path.name}")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").strip().split("\n"), 1):
        parts = line.split("\t")
        if len(parts) != 2:
            raise G2PWError(f"{path}:{n}: expected 'char<TAB>bopomofo', got {line!r}")
        rows.append((parts[0], parts[1]))
    return rows


def load_corrections(folder: Path) -> dict[str, list[str]] | None:
    """Upstream's phrase corrections (``word: ['pin1', 'yin1']`` lines) from ``folder``, or None.

    Read with ``ast.literal_eval`` (upstream evaluates them). Later files override earlier ones.
    """
    paths = [folder / name for name in CORRECTION_FILES]
    if not any(p.exists() for p in paths):
        return None
    table: dict[str, list[str]] = {}
    for path in paths:
        if not path.exists():
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            key, sep, value = line.partition(":")
            try:
                pinyins = ast.literal_eval(value.strip()) if sep else None
            except (ValueError, SyntaxError) as e:
                raise G2PWError(f"{path}:{n}: cannot read {line!r}: {e}") from e
            if not isinstance(pinyins, list):
                raise G2PWError(f"{path}:{n}: expected \"word: ['pin1', ...]\", got {line!r}")
            table[key.strip()] = pinyins
    return table


def g2pw_package_dir() -> Path:
    """Folder of the ``g2pw`` pip package (its data files), found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("g2pw")
    if spec is None or not spec.submodule_search_locations:
        raise G2PWError("the g2pw package is not installed (pip install g2pw): its bopomofo tables are needed")
    return Path(next(iter(spec.submodule_search_locations)))


class PypinyinPhraseCorrections:
    """Approximation of upstream's corrections from pypinyin's phrase dictionary (tone3, 5 = neutral).

    Upstream's two files agree with this dictionary on 45,008 of their 45,047 entries but leave out
    about 2,000 of its phrases; used only when the files are not available. Entries are converted
    on first use.
    """

    def __init__(self):
        from pypinyin.phrases_dict import phrases_dict

        self._phrases = phrases_dict
        self._cache: dict[str, list[str]] = {}

    def get(self, word: str, default=None):
        if word not in self._phrases:
            return default
        if word not in self._cache:
            from pypinyin.contrib.tone_convert import to_tone3

            self._cache[word] = [to_tone3(p[0], neutral_tone_with_five=True) for p in self._phrases[word]]
        return self._cache[word]


# ----------------------------------------------------------------------------- tokenization
def _wordize(text: str) -> tuple[list[str], list[int | None], list[tuple[int, int]]]:
    """Split into words: runs of [a-zA-Z0-9], single other characters; spaces map to None."""
    words: list[str] = []
    text2word: list[int | None] = []
    word2text: list[tuple[int, int]] = []
    pos = 0
    while pos < len(text):
        space = re.match(r" +", text[pos:])
        if space:
            text2word += [None] * len(space.group(0))
            pos += len(space.group(0))
            continue
        latin = re.match(r"[a-zA-Z0-9]+", text[pos:])
        word = latin.group(0) if latin else text[pos]
        word2text.append((len(text2word), len(text2word) + len(word)))
        text2word += [len(words)] * len(word)
        words.append(word)
        pos += len(word)
    return words, text2word, word2text


def tokenize_and_map(tokenizer, text: str) -> tuple[list[str], list[int | None], list[tuple[int, int]]]:
    """Word-piece tokens of ``text`` with char->token and token->(start, end) char maps."""
    words, text2word, word2text = _wordize(text)
    tokens: list[str] = []
    token2text: list[tuple[int, int]] = []
    for word, (start, _end) in zip(words, word2text):
        pieces = tokenizer.tokenize(word)
        if not pieces or pieces == ["[UNK]"]:
            token2text.append((start, _end))
            tokens.append("[UNK]")
            continue
        for piece in pieces:
            n = len(re.sub(r"^##", "", piece))
            token2text.append((start, start + n))
            start += n
            tokens.append(piece)
    text2token = list(text2word)
    for i, (s, e) in enumerate(token2text):
        for p in range(s, e):
            text2token[p] = i
    return tokens, text2token, token2text


def _truncate(text: str, query: int, tokens: list[str], text2token: list, token2text: list):
    """Cut a long text to MAX_TOKENS-2 tokens centred on the query character (upstream's rule)."""
    keep = MAX_TOKENS - 2
    centre = text2token[query]
    start = centre - keep // 2
    end = start + keep
    if -start > 0:
        start, end = 0, keep
    elif end - len(tokens) > 0:
        start, end = start - (end - len(tokens)), len(tokens)
    c0, c1 = token2text[start][0], token2text[end - 1][1]
    return (
        text[c0:c1],
        query - c0,
        tokens[start:end],
        [i - start if i is not None else None for i in text2token[c0:c1]],
    )


@dataclass(frozen=True)
class _Query:
    text: str  # the (windowed) sentence the model sees
    index: int  # position of the polyphonic character in ``text``
    sentence: int  # which input sentence
    position: int  # position of the character in that sentence


class G2PW:
    """A loaded g2pW ONNX model with upstream's pre- and post-processing.

    ``predict(sentences)`` -> per sentence, one pinyin per character ("hang2"; tone 5 = neutral;
    punctuation as itself). ``correct(word, pinyins)`` applies the phrase corrections.
    """

    def __init__(
        self,
        session,
        tokenizer,
        polyphonic: Sequence[tuple[str, str]],
        monophonic: Sequence[tuple[str, str]],
        bopomofo_to_pinyin: dict[str, str],
        corrections: "dict[str, list[str]] | PypinyinPhraseCorrections",
        *,
        use_mask: bool = True,
        use_char_phoneme: bool = False,
        context_chars: int = 16,
        dedup_sentences: bool = True,
    ):
        self.session = session
        self.tokenizer = tokenizer
        self.use_mask = use_mask
        self.use_char_phoneme = use_char_phoneme
        self.context_chars = context_chars
        self.dedup_sentences = dedup_sentences
        self.bopomofo_to_pinyin = bopomofo_to_pinyin
        self.corrections = corrections
        if use_char_phoneme:
            self.labels = sorted({f"{c} {p}" for c, p in polyphonic})
            label_of = {lab: i for i, lab in enumerate(self.labels)}
            keys = [f"{c} {p}" for c, p in polyphonic]
        else:
            self.labels = sorted({p for _, p in polyphonic})
            label_of = {lab: i for i, lab in enumerate(self.labels)}
            keys = [p for _, p in polyphonic]
        self.char_labels: dict[str, list[int]] = {}
        for (char, _), key in zip(polyphonic, keys):
            self.char_labels.setdefault(char, []).append(label_of[key])
        chars = sorted(self.char_labels)
        self.char_ids = {c: i for i, c in enumerate(chars)}
        self.polyphonic_chars = frozenset(chars) - NOT_POLYPHONIC
        self.monophonic = {c: p for c, p in monophonic if c not in NOT_MONOPHONIC}
        self._opencc = None
        self._lock = threading.Lock()  # fast tokenizers must not be used by two threads at once

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(
        cls,
        folder: Path,
        tokenizer_dir: Path,
        *,
        corrections_dir: Path | None = None,
        num_threads: int = 2,
        providers: Sequence[str] | None = None,
    ) -> "G2PW":
        """Load ``folder`` (an upstream G2PWModel folder) with the tokenizer in ``tokenizer_dir``.

        Corrections come from ``corrections_dir`` (default: ``folder``) when its ``polyphonic.rep``
        / ``polyphonic-fix.rep`` exist; otherwise from pypinyin's phrase dictionary (logged).
        """
        import onnxruntime
        from transformers import AutoTokenizer

        folder = Path(folder)
        if not folder.is_dir():
            raise G2PWError(f"G2PWModel folder not found: {folder}")
        onnx_path = next((folder / n for n in ONNX_NAMES if (folder / n).exists()), None)
        if onnx_path is None:
            raise G2PWError(f"G2PWModel folder {folder} has no {' or '.join(ONNX_NAMES)}")
        config = _read_config(folder / "config.py")
        polyphonic = _read_char_table(folder / "POLYPHONIC_CHARS.txt")
        monophonic = _read_char_table(folder / "MONOPHONIC_CHARS.txt")
        b2p_path = folder / "bopomofo_to_pinyin_wo_tune_dict.json"
        if not b2p_path.exists():
            b2p_path = g2pw_package_dir() / "bopomofo_to_pinyin_wo_tune_dict.json"
        bopomofo_to_pinyin = json.loads(b2p_path.read_text(encoding="utf-8"))
        corrections = load_corrections(Path(corrections_dir) if corrections_dir else folder)
        if corrections is None:
            logger.warning(
                "g2pW: %s has no %s; using pypinyin's phrase dictionary as corrections (close to, "
                "not identical with, upstream)",
                corrections_dir or folder,
                " / ".join(CORRECTION_FILES),
            )
            corrections = PypinyinPhraseCorrections()
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.intra_op_num_threads = num_threads
        if providers is None:
            available = onnxruntime.get_available_providers()
            providers = [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]
        session = onnxruntime.InferenceSession(str(onnx_path), sess_options=options, providers=list(providers))
        tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
        return cls(
            session,
            tokenizer,
            polyphonic,
            monophonic,
            bopomofo_to_pinyin,
            corrections,
            use_mask=bool(config["use_mask"]),
            use_char_phoneme=bool(config["use_char_phoneme"]),
        )

    # ------------------------------------------------------------------ prediction
    def _to_traditional(self, sentence: str) -> str:
        if self._opencc is None:
            import opencc

            self._opencc = opencc.OpenCC("s2tw")
        out = self._opencc.convert(sentence)
        if len(out) != len(sentence):
            raise ValueError(f"OpenCC s2tw changed the length of {sentence!r} -> {out!r}")
        return out

    def bopomofo_pinyin(self, bopomofo: str) -> str | None:
        """"ㄏㄤ2" -> "hang2"; None (logged) when the syllable is unknown."""
        base = self.bopomofo_to_pinyin.get(bopomofo[:-1])
        if base:
            return base + bopomofo[-1]
        logger.warning("g2pW: bopomofo %r cannot be converted to pinyin", bopomofo)
        return None

    def predict(self, sentences: Sequence[str]) -> list[list[str | None]]:
        """One pinyin (tone3, 5 = neutral) per character of each sentence. Thread-safe."""
        with self._lock:
            return self._predict(sentences)

    def _predict(self, sentences: Sequence[str]) -> list[list[str | None]]:
        from pypinyin import Style, pinyin

        from .zh_normalization.char_convert import traditional_to_simplified

        sentences = [self._to_traditional(s) for s in sentences]
        results: list[list[str | None]] = []
        queries: list[_Query] = []
        for sent_id, sent in enumerate(sentences):
            fallback = pinyin(traditional_to_simplified(sent), neutral_tone_with_five=True, style=Style.TONE3)
            result: list[str | None] = [None] * len(sent)
            poly = []
            for i, char in enumerate(sent):
                if char in self.polyphonic_chars:
                    poly.append(i)
                elif char in self.monophonic:
                    result[i] = self.bopomofo_pinyin(self.monophonic[char])
                else:
                    result[i] = fallback[i][0]
            if poly:
                left, right = 0, len(sent)
                if self.context_chars > 0:
                    left = max(0, poly[0] - self.context_chars)
                    right = min(len(sent), poly[-1] + self.context_chars + 1)
                window = sent[left:right]
                queries += [_Query(window, i - left, sent_id, i) for i in poly]
            results.append(result)
        if not queries:
            return results
        inputs = self._model_inputs(queries)
        if inputs is None:
            return results
        preds = self._run(inputs, [q.text for q in queries])
        for q, pred in zip(queries, preds):
            if self.use_char_phoneme:
                pred = pred.split(" ")[1]
            results[q.sentence][q.position] = self.bopomofo_pinyin(pred)
        return results

    def _model_inputs(self, queries: Sequence[_Query]) -> dict[str, np.ndarray] | None:
        rows: dict[str, list] = {k: [] for k in ("input_ids", "token_type_ids", "attention_masks")}
        phoneme_masks, char_ids, position_ids = [], [], []
        cache: dict[str, tuple] = {}
        for q in queries:
            text = q.text.lower()
            if text not in cache:
                try:
                    cache[text] = tokenize_and_map(self.tokenizer, text)
                except (ValueError, KeyError, IndexError, TypeError) as e:
                    logger.warning("g2pW: text %r cannot be tokenized (%s); using pypinyin", text, e)
                    return None
            tokens, text2token, token2text = cache[text]
            query_text, index = text, q.index
            if len(tokens) > MAX_TOKENS - 2:
                query_text, index, tokens, text2token = _truncate(text, index, tokens, text2token, token2text)
            ids = self.tokenizer.convert_tokens_to_ids(["[CLS]", *tokens, "[SEP]"])
            rows["input_ids"].append(list(ids))
            rows["token_type_ids"].append([0] * len(ids))
            rows["attention_masks"].append([1] * len(ids))
            char = query_text[index]
            labels = self.char_labels[char]
            if self.use_mask:
                mask = np.zeros(len(self.labels), dtype=np.float32)
                mask[labels] = 1.0
            else:
                mask = np.ones(len(self.labels), dtype=np.float32)
            phoneme_masks.append(mask)
            char_ids.append(self.char_ids[char])
            position_ids.append(text2token[index] + 1)  # +1 for [CLS]
        width = max(len(r) for r in rows["input_ids"])
        out = {k: np.array([r + [0] * (width - len(r)) for r in v], dtype=np.int64) for k, v in rows.items()}
        out["phoneme_masks"] = np.stack(phoneme_masks).astype(np.float32)  # (N, labels)
        out["char_ids"] = np.array(char_ids, dtype=np.int64)  # (N,)
        out["position_ids"] = np.array(position_ids, dtype=np.int64)  # (N,)
        return out

    def _run(self, inputs: dict[str, np.ndarray], texts: Sequence[str]) -> list[str]:
        """Labels of the queries; queries on the same text share one encoder row (upstream dedup)."""
        groups: dict[str, list[int]] = {}
        for i, t in enumerate(texts):
            groups.setdefault(t, []).append(i)
        if not self.dedup_sentences or len(texts) <= 1 or all(len(g) == 1 for g in groups.values()):
            return self._session_labels(inputs)
        labels = [""] * len(texts)
        for idx in groups.values():
            part = {k: v[idx] for k, v in inputs.items()}
            if len(idx) > 1:
                for k in ("input_ids", "token_type_ids", "attention_masks"):
                    part[k] = part[k][:1]
            for i, lab in zip(idx, self._session_labels(part)):
                labels[i] = lab
        return labels

    def _session_labels(self, inputs: dict[str, np.ndarray]) -> list[str]:
        probs = self.session.run(
            [],
            {
                "input_ids": inputs["input_ids"],
                "token_type_ids": inputs["token_type_ids"],
                "attention_mask": inputs["attention_masks"],
                "phoneme_mask": inputs["phoneme_masks"],
                "char_ids": inputs["char_ids"],
                "position_ids": inputs["position_ids"],
            },
        )[0]  # (N, labels)
        return [self.labels[i] for i in np.argmax(probs, axis=1).tolist()]

    # ------------------------------------------------------------------ corrections
    def correct(self, word: str, pinyins: list[str]) -> list[str]:
        """Upstream's correct_pronunciation: a known phrase replaces all; else known single chars."""
        phrase = self.corrections.get(word)
        if phrase is not None and phrase != "":
            return list(phrase)
        pinyins = list(pinyins)
        for i, char in enumerate(word):
            fix = self.corrections.get(char)
            if fix:
                pinyins[i] = fix[0]
        return pinyins
