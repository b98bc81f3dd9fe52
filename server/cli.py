"""Command line of both entrypoints: ``--config``, ``--host``, ``--port``, ``--demo``, ``--log-level``."""

from __future__ import annotations

import argparse
import errno
import logging
import socket

from server.config import (
    ConfigError,
    config_path_from_env,
    load_config,
    missing_files_message,
    missing_model_files,
)

logger = logging.getLogger(__name__)

EXIT_CONFIG = 2  # bad config, missing or unusable model files, busy port: nothing was started


def parse_args(mode: str, argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog=f"app_{mode.replace('-', '_')}.py",
        description=f"chat2audio ({mode} mode): a role-play character answers in its own voice.")
    ap.add_argument("--config", help="YAML config (default: $CHAT2AUDIO_CONFIG, else config.yaml)")
    ap.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1; 0.0.0.0 for all)")
    ap.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    ap.add_argument("--demo", action="store_true",
                    help="serve tiny random-weight models built into a cache folder: no download, untrained output")
    ap.add_argument("--demo-version", default="v2", choices=("v2", "v2Pro", "v2ProPlus"),
                    help="with --demo: the SoVITS version of the demo voice (default v2; v2Pro/v2ProPlus also build "
                         "their ~215 MB speaker-verification model)")
    ap.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    return ap.parse_args(argv)


def build_config(args: argparse.Namespace):
    """The config to serve: the file's, or in demo mode the demo models with the file's speakers."""
    path = config_path_from_env(args.config)
    if args.demo:
        from server.demo import build_demo_config, demo_cache_dir

        base = None
        if args.config or path.is_file():  # a config named on the command line must exist
            base = load_config(path)
        else:
            logger.info("no config at %s: demo mode uses the seven default speakers", path)
        cache = demo_cache_dir()
        logger.info("demo mode: tiny random-weight models in %s (built on first run)", cache)
        return build_demo_config(cache, base, version=args.demo_version)
    config = load_config(path)
    missing = missing_model_files(config)
    if missing:
        raise ConfigError(missing_files_message(path, missing))
    return config


def check_port(host: str, port: int) -> None:
    """ConfigError when ``host:port`` cannot be listened on (checked before minutes of model loading)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise ConfigError(f"--host {host}: not an address this machine can listen on ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(f"port {port} on {host} is already in use (another chat2audio or another "
                                  "server?): stop it or pick another with --port") from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def main(mode: str, argv: list[str] | None = None) -> int:
    """Parse the command line, check the port, load the config and models, serve until interrupted."""
    import uvicorn

    from LLM import LLMError
    from server.voices import SpeakerVoices, VoiceUnavailable

    args = parse_args(mode, argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        check_port(args.host, args.port)
        config = build_config(args)
    except ConfigError as exc:
        logger.error("%s", exc)
        return EXIT_CONFIG
    from server.app import create_app, load_models

    try:
        models = load_models(config)
    except LLMError as exc:
        logger.error("llm: %s", exc)
        return EXIT_CONFIG
    try:
        if config.tts.preload_voices:
            SpeakerVoices({n: config.speaker(n) for n in config.speaker_names()}, models.engine).preload()
        app = create_app(config, mode=mode, demo=args.demo, models=models)
        uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level, log_config=None,
                    timeout_graceful_shutdown=config.server.shutdown_grace_s)
    except VoiceUnavailable as exc:
        logger.error("cannot start: %s (tts.preload_voices is true)", exc)
        return EXIT_CONFIG
    finally:
        models.chat.close()
    return 0

