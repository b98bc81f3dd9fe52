"""``pip install .`` works: the wheel holds the three packages, and they import outside the repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("LLM", "tts", "server")


def test_the_wheel_installs_and_imports_outside_the_repository(tmp_path):
    pytest.importorskip("setuptools")
    source = tmp_path / "src"
    for name in PACKAGES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "requirements.txt", "README.md"):
        shutil.copy(ROOT / name, source / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path / "dist")], check=True, capture_output=True, timeout=300)
    (wheel,) = (tmp_path / "dist").glob("chat2audio-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        metadata = zf.read(next(n for n in names if n.endswith("/METADATA"))).decode()
    expected = {str(p.relative_to(ROOT)) for name in PACKAGES for p in (ROOT / name).rglob("*.py")
                if "__pycache__" not in p.parts}
    expected |= {f"server/static/{f}" for f in ("index.html", "app.js", "app.css")}  # the page
    assert expected <= names
    assert not any(n.startswith("tests/") for n in names)
    assert "Requires-Dist: fastapi" in metadata and "Requires-Python: >=3.11" in metadata

    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    probe = ("import server.app, LLM, tts, tts.text as t; "
             "print(server.app.__file__); print(t.text_to_phones('你好。', language='zh', version='v2').ids)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=elsewhere, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(site)})
    assert done.returncode == 0, done.stderr[-2000:]
    where, ids = done.stdout.splitlines()[-2:]
    assert Path(where).is_relative_to(site)  # the installed copy, not the repository
    from tts.text import text_to_phones

    assert ids == str(text_to_phones("你好。", language="zh", version="v2").ids)
