"""The page at ``/``: talk to a character in the browser, hear the reply as it streams, speak text
as is. Plain HTML, CSS and JavaScript from ``server/static`` (no build step, no CDN)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parents[1] / "static"

router = APIRouter()


@router.get("/", include_in_schema=False)
async def page() -> FileResponse:
    return FileResponse(STATIC / "index.html", media_type="text/html", headers={"Cache-Control": "no-cache"})


def mount_assets(app: FastAPI) -> None:
    """The page's files under ``/ui/``."""
    app.mount("/ui", StaticFiles(directory=STATIC), name="ui")
