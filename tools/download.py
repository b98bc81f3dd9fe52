"""Download the real model files into the layout ``config.yaml`` expects.

Usage::

    python -m tools.download [--dest models] [--speakers Nahida Klee ... | --all-speakers]
                              [--skip-llm] [--skip-g2pw] [--dry-run]

What lands where (``<dest>`` is ``models`` unless ``--dest`` says otherwise)::

    BigPancake01/rolePlay_Qwen2.5-7B (top-level files)    -> <dest>/rolePlay_Qwen2.5-7B/
    lj1995/GPT-SoVITS chinese-roberta-wwm-ext-large/       -> <dest>/pretrained/chinese-roberta-wwm-ext-large/
    lj1995/GPT-SoVITS chinese-hubert-base/                 -> <dest>/pretrained/chinese-hubert-base/
    lj1995/GPT-SoVITS sv/pretrained_eres2netv2w24s4ep4.ckpt -> <dest>/pretrained/sv/ (when a configured voice
                                                              is v2Pro/v2ProPlus, or with --sv)
    BigPancake01/GPT-SoVITS_Mihoyo GPT_models/<Name>/...   -> <dest>/voices/GPT_models/<Name>/...
                                   VITS_models/<Name>/...  -> <dest>/voices/VITS_models/<Name>/...
                                   ref_audios/<Name>.wav   -> <dest>/voices/ref_audios/<Name>.wav
    XXXXRT/GPT-SoVITS-Pretrained G2PWModel.zip (unzipped)  -> <dest>/G2PWModel/
    upstream GPT-SoVITS polyphonic.rep, polyphonic-fix.rep -> <dest>/G2PWModel/ (pinned commit, sha256-checked)

The G2PWModel zip is the one upstream GPT-SoVITS's install scripts fetch; the two ``.rep`` phrase
correction tables live in upstream's source tree (``GPT_SoVITS/text/g2pw/``), so they are fetched
from raw.githubusercontent.com at :data:`UPSTREAM_COMMIT`.

Hub downloads are resumable and skip files already present (huggingface_hub's ``local_dir`` mode);
re-running the command after an interruption continues where it stopped. The plan (which hub file
goes to which local path) is built by :func:`plan_downloads`, a pure function, and carried out by
:func:`run_plan`. The speakers' voice file names live in :data:`VOICES` only; the shipped
``config.yaml`` names the same files (a test checks that they agree).
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import shutil
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.error import URLError
from urllib.request import urlopen

from huggingface_hub import hf_hub_download, list_repo_files, snapshot_download

logger = logging.getLogger(__name__)

LLM_REPO = "BigPancake01/rolePlay_Qwen2.5-7B"
LLM_FOLDER = "rolePlay_Qwen2.5-7B"
# Top-level files a transformers model folder needs; weights are narrowed by select_weight_patterns.
LLM_PATTERNS = ("*.json", "*.safetensors", "pytorch_model*.bin", "*.txt", "*.model", "*.tiktoken", "*.jinja")
LLM_IGNORE = ("*/*",)  # nothing from subfolders (training checkpoints, logs)

PRETRAINED_REPO = "lj1995/GPT-SoVITS"
PRETRAINED_FOLDERS = ("chinese-roberta-wwm-ext-large", "chinese-hubert-base")
SV_FILE = "sv/pretrained_eres2netv2w24s4ep4.ckpt"  # in PRETRAINED_REPO; v2Pro/v2ProPlus voices need it

VOICES_REPO = "BigPancake01/GPT-SoVITS_Mihoyo"

G2PW_REPO = "XXXXRT/GPT-SoVITS-Pretrained"  # what upstream's install.sh downloads G2PWModel.zip from
G2PW_ZIP = "G2PWModel.zip"
G2PW_FOLDER = "G2PWModel"
G2PW_ONNX_NAMES = ("g2pW.onnx", "g2pw.onnx")
G2PW_REQUIRED = ("POLYPHONIC_CHARS.txt", "MONOPHONIC_CHARS.txt", "config.py")

UPSTREAM_REPO = "RVC-Boss/GPT-SoVITS"
UPSTREAM_COMMIT = "48b1a0169a28582a8984402f82cf438d3bfa6aca"
# name -> sha256 of upstream's phrase correction tables at UPSTREAM_COMMIT
REP_FILES = {
    "polyphonic.rep": "a8f13e2004702cbbf01e2e3fe8436d9d620a0fe4d57176a844704619ffd5df5e",
    "polyphonic-fix.rep": "bbfac0e43e5b1db56566e5eb8b147f7e9b57175e07ffe6303195ee6563682f6b",
}
REP_URL = "https://raw.githubusercontent.com/{repo}/{commit}/GPT_SoVITS/text/g2pw/{name}"

DOWNLOAD_FOLDER = ".download"  # under <dest>: the G2PW zip while it is fetched and unpacked


class DownloadError(RuntimeError):
    """A download could not be planned or done; the message names the repo/URL and file."""


@dataclass(frozen=True)
class Voice:
    """One speaker's files in :data:`VOICES_REPO`."""

    name: str
    gpt: str  # GPT_models/<name>/<gpt>
    sovits: str  # VITS_models/<name>/<sovits>

    def hub_paths(self) -> tuple[str, str, str]:
        """The three repo paths: GPT checkpoint, SoVITS weights, reference audio."""
        return (f"GPT_models/{self.name}/{self.gpt}", f"VITS_models/{self.name}/{self.sovits}",
                f"ref_audios/{self.name}.wav")


VOICES: tuple[Voice, ...] = (
    Voice("Firefly", "Firefly-e15.ckpt", "Firefly_e8_s504.pth"),
    Voice("Klee", "Klee-e15.ckpt", "Klee_e8_s656.pth"),
    Voice("Ayaka", "Ayaka-e15.ckpt", "Ayaka_315_e8_s576.pth"),
    Voice("Nahida", "Nahida-e15.ckpt", "Nahida_e8_s1200.pth"),
    Voice("Tribbie", "Tribbie-e15.ckpt", "Tribbie_e8_s344.pth"),
    Voice("Yoimiya", "Yoimiya-e5.ckpt", "Yoimiya_e8_s1024.pth"),
    Voice("Citlali", "Citlali-e15.ckpt", "Citlali_e8_s1160.pth"),
)


# ---------------------------------------------------------------------------------------- plan items
@dataclass(frozen=True)
class HubSnapshot:
    """The files of ``repo`` matching ``allow_patterns`` (minus ``ignore_patterns``), into ``local_dir``
    at their repo paths. ``weights_choice``: keep only safetensors weights when the repo has them."""

    repo: str
    local_dir: Path
    allow_patterns: tuple[str, ...]
    ignore_patterns: tuple[str, ...] = ()
    weights_choice: bool = False

    def describe(self) -> str:
        return f"{self.repo} [{', '.join(self.allow_patterns)}] -> {self.local_dir}"


@dataclass(frozen=True)
class HubFile:
    """One file of ``repo``, into ``local_dir`` at its repo path (:attr:`target`)."""

    repo: str
    filename: str
    local_dir: Path

    @property
    def target(self) -> Path:
        return self.local_dir / PurePosixPath(self.filename)

    def describe(self) -> str:
        return f"{self.repo}/{self.filename} -> {self.target}"


@dataclass(frozen=True)
class HubArchive:
    """A zip in ``repo``, fetched into ``download_dir`` and unpacked so that ``target`` holds the
    folder that contains the G2PW onnx model (whatever that folder is called inside the zip)."""

    repo: str
    filename: str
    download_dir: Path
    target: Path

    def describe(self) -> str:
        return f"{self.repo}/{self.filename} (unzipped) -> {self.target}"


@dataclass(frozen=True)
class UrlFile:
    """One file from a plain HTTPS URL, checked against its sha256."""

    url: str
    target: Path
    sha256: str

    def describe(self) -> str:
        return f"{self.url} -> {self.target}"


PlanItem = HubSnapshot | HubFile | HubArchive | UrlFile


def known_speakers() -> list[str]:
    return [v.name for v in VOICES]


def voice(name: str) -> Voice:
    """The :data:`VOICES` entry of ``name``; DownloadError listing the known speakers otherwise."""
    for v in VOICES:
        if v.name == name:
            return v
    raise DownloadError(f"unknown speaker {name!r}; known speakers: {', '.join(known_speakers())}")


def plan_downloads(dest: str | Path, speakers: Sequence[str] | None = None, *, llm: bool = True,
                   g2pw: bool = True, sv: bool = False) -> list[PlanItem]:
    """Every download, in order, with its local destination under ``dest``; touches nothing.

    ``speakers``: voice files of these speakers only (None: all of :data:`VOICES`, [] : none).
    The shared pretrained models always come; ``llm``/``g2pw`` False leave those parts out; ``sv``
    adds the speaker-verification model of v2Pro/v2ProPlus voices.
    """
    dest = Path(dest)
    voices = list(VOICES) if speakers is None else [voice(n) for n in dict.fromkeys(speakers)]
    items: list[PlanItem] = []
    if llm:
        items.append(HubSnapshot(LLM_REPO, dest / LLM_FOLDER, LLM_PATTERNS, LLM_IGNORE, weights_choice=True))
    items.append(HubSnapshot(PRETRAINED_REPO, dest / "pretrained", tuple(f"{f}/*" for f in PRETRAINED_FOLDERS)))
    if sv:
        items.append(HubFile(PRETRAINED_REPO, SV_FILE, dest / "pretrained"))
    if g2pw:
        items.append(HubArchive(G2PW_REPO, G2PW_ZIP, dest / DOWNLOAD_FOLDER, dest / G2PW_FOLDER))
        items += [UrlFile(REP_URL.format(repo=UPSTREAM_REPO, commit=UPSTREAM_COMMIT, name=name),
                          dest / G2PW_FOLDER / name, sha)
                  for name, sha in REP_FILES.items()]
    for v in voices:
        items += [HubFile(VOICES_REPO, path, dest / "voices") for path in v.hub_paths()]
    return items


def select_weight_patterns(patterns: Sequence[str], repo_files: Sequence[str]) -> tuple[str, ...]:
    """``patterns`` without the ``*.bin`` weights when the repo has top-level safetensors, else
    without ``*.safetensors`` (so one copy of the weights is fetched, not two)."""
    has_safetensors = any(f.endswith(".safetensors") and "/" not in f for f in repo_files)
    drop = ".bin" if has_safetensors else ".safetensors"
    return tuple(p for p in patterns if not p.endswith(drop))


# ------------------------------------------------------------------------------------------ doing
def _hub_error(repo: str, what: str, exc: Exception) -> DownloadError:
    return DownloadError(
        f"{repo}: {what}: {type(exc).__name__}: {exc}\n"
        "(check the network connection and the repo/file name; a private or gated repo needs a token: "
        "`hf auth login` or HF_TOKEN; a mirror can be set with HF_ENDPOINT)")


def _fetch_snapshot(item: HubSnapshot) -> str:
    patterns = item.allow_patterns
    if item.weights_choice:
        try:
            files = list_repo_files(item.repo)
        except Exception as exc:  # any hub or network failure: one message naming the repo
            raise _hub_error(item.repo, "listing the files", exc) from exc
        patterns = select_weight_patterns(patterns, files)
    logger.info("fetching %s [%s] into %s", item.repo, ", ".join(patterns), item.local_dir)
    try:
        snapshot_download(item.repo, local_dir=item.local_dir, allow_patterns=list(patterns),
                          ignore_patterns=list(item.ignore_patterns) or None)
    except Exception as exc:
        raise _hub_error(item.repo, ", ".join(patterns), exc) from exc
    return f"{item.repo} -> {item.local_dir}"


def _fetch_file(item: HubFile) -> str:
    logger.info("fetching %s/%s", item.repo, item.filename)
    try:
        hf_hub_download(item.repo, item.filename, local_dir=item.local_dir)
    except Exception as exc:
        raise _hub_error(item.repo, item.filename, exc) from exc
    return f"{item.repo}/{item.filename} -> {item.target}"


def g2pw_folder_complete(folder: Path) -> bool:
    """Whether ``folder`` holds an unpacked G2PWModel (onnx model and its tables)."""
    return (any((folder / n).is_file() for n in G2PW_ONNX_NAMES)
            and all((folder / n).is_file() for n in G2PW_REQUIRED))


def extract_g2pw_zip(zip_path: Path, target: Path) -> None:
    """Unpack ``zip_path`` so that ``target`` holds the zip's model folder.

    The model folder is the one folder in the zip that holds ``g2pW.onnx``: ``G2PWModel/`` in the zip
    upstream's install scripts use, ``G2PWModel_1.1/`` in the one its code falls back to, or the
    zip's top level. Files already in ``target`` (such as the .rep tables) stay unless the zip
    replaces them. DownloadError when the zip is broken, unsafe, or has no (or several) model folders.
    """
    work = target.parent / DOWNLOAD_FOLDER / "unzip"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    try:
        try:
            with zipfile.ZipFile(zip_path) as zf:
                for name in zf.namelist():
                    p = PurePosixPath(name)
                    if p.is_absolute() or ".." in p.parts or "\\" in name:
                        raise DownloadError(f"{zip_path}: unsafe path in zip: {name!r}")
                zf.extractall(work)
        except zipfile.BadZipFile as exc:
            raise DownloadError(f"{zip_path}: not a valid zip file ({exc}); delete it and run again") from exc
        found = sorted({p.parent for n in G2PW_ONNX_NAMES for p in work.rglob(n)
                        if "__MACOSX" not in p.relative_to(work).parts})
        if len(found) != 1:
            what = "no g2pW.onnx" if not found else f"several model folders: {[str(f.relative_to(work)) for f in found]}"
            raise DownloadError(f"{zip_path}: expected one G2PW model folder in the zip, found {what}")
        inner = found[0].relative_to(work).as_posix()
        target.mkdir(parents=True, exist_ok=True)
        for child in sorted(found[0].iterdir()):
            if child.name == "__MACOSX":
                continue
            dest = target / child.name
            if dest.is_dir():
                shutil.rmtree(dest)
            elif dest.exists():
                dest.unlink()
            shutil.move(str(child), str(dest))
    finally:
        shutil.rmtree(work, ignore_errors=True)
        if work.parent.is_dir() and not any(work.parent.iterdir()):
            work.parent.rmdir()
    logger.info("unpacked %s (model folder %r in the zip) into %s", zip_path.name, inner, target)


def _fetch_archive(item: HubArchive) -> str:
    if g2pw_folder_complete(item.target):
        logger.info("%s already holds the G2PW model; not fetching %s", item.target, item.filename)
        return f"{item.target} (already present)"
    logger.info("fetching %s/%s", item.repo, item.filename)
    try:
        zip_path = Path(hf_hub_download(item.repo, item.filename, local_dir=item.download_dir))
    except Exception as exc:
        raise _hub_error(item.repo, item.filename, exc) from exc
    extract_g2pw_zip(zip_path, item.target)
    shutil.rmtree(item.download_dir, ignore_errors=True)  # the zip and huggingface_hub's resume metadata
    return f"{item.repo}/{item.filename} -> {item.target}"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fetch_url(item: UrlFile) -> str:
    if item.target.is_file() and _sha256(item.target.read_bytes()) == item.sha256:
        return f"{item.target} (already present)"
    logger.info("fetching %s", item.url)
    try:
        with urlopen(item.url, timeout=60) as response:
            data = response.read()
    except (URLError, OSError) as exc:
        raise DownloadError(f"{item.url}: cannot download {item.target.name}: {exc}") from exc
    got = _sha256(data)
    if got != item.sha256:
        raise DownloadError(f"{item.url}: sha256 mismatch for {item.target.name} (expected {item.sha256}, got {got})")
    item.target.parent.mkdir(parents=True, exist_ok=True)
    part = item.target.with_name(item.target.name + ".part")
    part.write_bytes(data)
    part.replace(item.target)
    return f"{item.url} -> {item.target}"


def run_plan(items: Sequence[PlanItem]) -> list[str]:
    """Carry out ``items`` in order; one summary line per item. Stops at the first DownloadError."""
    done = []
    for item in items:
        if isinstance(item, HubSnapshot):
            done.append(_fetch_snapshot(item))
        elif isinstance(item, HubFile):
            done.append(_fetch_file(item))
        elif isinstance(item, HubArchive):
            done.append(_fetch_archive(item))
        else:
            done.append(_fetch_url(item))
    return done


# -------------------------------------------------------------------------------------------- CLI
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m tools.download",
        description="Download the role-play LLM, the GPT-SoVITS pretrained models, the G2PW model and the "
                    "speakers' voices into the layout config.yaml expects. Resumable: run it again after "
                    "an interruption.")
    p.add_argument("--dest", default="models", type=Path,
                   help="folder to download into (default: models, which config.yaml's paths point at)")
    who = p.add_mutually_exclusive_group()
    who.add_argument("--speakers", nargs="+", metavar="NAME",
                     help=f"voices of these speakers only (known: {', '.join(known_speakers())})")
    who.add_argument("--all-speakers", action="store_true", help="voices of every speaker (the default)")
    p.add_argument("--skip-llm", action="store_true",
                   help="leave out the ~15 GB LLM (e.g. when an OpenAI-compatible server runs it)")
    p.add_argument("--skip-g2pw", action="store_true",
                   help="leave out the G2PW model (Chinese polyphones then come from pypinyin)")
    p.add_argument("--sv", action="store_true",
                   help="also the speaker-verification model v2Pro/v2ProPlus voices need (fetched anyway when "
                        "--config names such a voice)")
    p.add_argument("--config", type=Path, default=None,
                   help="config whose v2Pro/v2ProPlus voices call for the speaker-verification model "
                        "(default: config.yaml when present)")
    p.add_argument("--dry-run", action="store_true", help="list what would be downloaded where; write nothing")
    return p


def config_needs_sv(path: Path | None) -> list[str]:
    """Speakers of the config at ``path`` whose SoVITS file is tagged v2Pro/v2ProPlus ([] without a config)."""
    from server.config import ConfigError, config_path_from_env, load_config
    from tts.models.checkpoints import peek_sovits_version

    path = config_path_from_env(path)
    if not path.is_file():
        return []
    try:
        config = load_config(path)
    except ConfigError as exc:
        logger.warning("%s: not read for v2Pro voices (%s)", path, str(exc).splitlines()[0])
        return []
    return [name for name, s in config.speakers.items()
            if peek_sovits_version(s.sovits_path) in ("v2Pro", "v2ProPlus")]


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; returns the exit status (0 done, 1 a download failed, 2 bad arguments)."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    pro = config_needs_sv(args.config)
    if pro:
        logger.info("v2Pro/v2ProPlus voices configured (%s): the speaker-verification model comes too", ", ".join(pro))
    try:
        items = plan_downloads(args.dest, None if args.all_speakers else args.speakers,
                               llm=not args.skip_llm, g2pw=not args.skip_g2pw, sv=args.sv or bool(pro))
    except DownloadError as exc:
        logger.error("%s", exc)
        return 2
    if args.dry_run:
        print(f"dry run: {len(items)} download(s) planned, nothing written:")
        for item in items:
            print(f"  {item.describe()}")
        return 0
    try:
        done = run_plan(items)
    except DownloadError as exc:
        logger.error("%s", exc)
        logger.error("run the same command again to resume")
        return 1
    print(f"done: {len(done)} download(s) into {args.dest}:")
    for line in done:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
