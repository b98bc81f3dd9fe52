"""Every error the service answers has one shape: ``{"detail": "<sentence>", "errors": [...]}``.

``detail`` is one sentence a person can read; ``errors`` is present only for request validation
problems (one entry per field: where, what, and pydantic's error type). Nothing a client sent is
echoed back longer than ``MAX_ECHO`` characters, and no server path or traceback leaves the
process: unexpected failures are logged in full and answered with a short 500.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from LLM import LLMError, PromptTooLong

logger = logging.getLogger(__name__)

MAX_ECHO = 100  # characters of client text an error message may repeat
UNREADABLE_BODY = "There was an error parsing the body"  # FastAPI's 400 detail when json.loads fails


def clip(text: str, limit: int = MAX_ECHO) -> str:
    """``repr(text)``, cut to ``limit`` characters of text with the full length said when cut."""
    text = str(text)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


class FieldProblem(BaseModel):
    """One invalid field of a request."""

    loc: list[str | int]  # where: ["body", "history", 0, "content"]
    msg: str  # what is wrong, e.g. "Input should be a finite number"
    type: str  # pydantic's error type, e.g. "finite_number"


class ErrorBody(BaseModel):
    """Every error answer of the service."""

    detail: str  # one human-readable sentence
    errors: list[FieldProblem] | None = None  # per-field problems (422 validation errors only)


class RequestError(Exception):
    """A request the service refuses: ``status`` and a ``detail`` the client reads."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def error_response(status: int, detail: str, errors: list[FieldProblem] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON answer of an error (strict JSON: ``detail`` and ``errors`` hold only strings and ints)."""
    body = ErrorBody(detail=detail, errors=errors).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=headers)


def _loc_text(loc: list[str | int]) -> str:
    return ".".join(str(part) for part in loc if part != "body") or "body"


MAX_PROBLEMS = 20  # field problems an error lists (a body of 20,000 bad fields gets the first ones)
MAX_MSG = 300  # characters of one problem's message


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def validation_problems(exc: RequestValidationError) -> list[FieldProblem]:
    """pydantic's errors without their ``input`` and ``ctx`` (which may be huge or not JSON at all),
    the first MAX_PROBLEMS of them, with field names and messages cut to a bounded length."""
    return [FieldProblem(loc=[p if isinstance(p, int) else _cut(str(p), MAX_ECHO) for p in e.get("loc", ())],
                         msg=_cut(str(e.get("msg", "invalid")).removeprefix("Value error, "), MAX_MSG),
                         type=str(e.get("type", "")))
            for e in exc.errors()[:MAX_PROBLEMS]]


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the request's path answers (asked of the routes themselves: the
    routes of included routers are nested)."""
    return [method for method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
            if any(route.matches({**request.scope, "method": method})[0] == Match.FULL
                   for route in request.app.router.routes)]


def llm_problem(exc: BaseException) -> tuple[int, str]:
    """The status and detail of an answer whose LLM raised ``exc`` (422: the prompt does not fit
    its context, the client's to fix; 502: the LLM failed; 500: anything else, a bug)."""
    if isinstance(exc, PromptTooLong):
        return 422, f"PromptTooLong: {exc}"
    if isinstance(exc, LLMError):
        return 502, f"LLMError: {exc}"
    return 500, f"the LLM failed ({type(exc).__name__}); the server log has the details"


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` in the one shape (validation, HTTP, RequestError, LLM, unexpected)."""

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = validation_problems(exc)
        first = problems[0] if problems else FieldProblem(loc=["body"], msg="invalid request", type="")
        total = len(exc.errors())
        more = f" (and {total - 1} more problems)" if total > 1 else ""
        return error_response(422, f"invalid request: {_loc_text(first.loc)}: {first.msg}{more}", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == UNREADABLE_BODY:  # FastAPI's answer to a body json.loads refused
            cause = type(exc.__cause__).__name__ if exc.__cause__ is not None else "unknown"
            msg = f"the body is not JSON that can be read ({cause}): send UTF-8 JSON, uncompressed"
            return error_response(422, f"invalid request: body: {msg}", [FieldProblem(loc=["body"], msg=msg,
                                                                                      type="json_invalid")])
        if exc.status_code == 405:  # Starlette names only the methods of the first route of the path
            methods = allowed_methods(request)
            return error_response(405, str(exc.detail), headers={"Allow": ", ".join(methods)} if methods else None)
        return error_response(exc.status_code, str(exc.detail), headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestError)
    async def _refused(request: Request, exc: RequestError) -> JSONResponse:
        return error_response(exc.status, exc.detail, headers=exc.headers)

    @app.exception_handler(LLMError)
    async def _llm(request: Request, exc: LLMError) -> JSONResponse:
        status, detail = llm_problem(exc)
        logger.log(logging.WARNING if status == 422 else logging.ERROR, "LLM: %s", detail)
        return error_response(status, detail)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("request %s %s failed", request.method, request.url.path)
        return error_response(500, f"internal error ({type(exc).__name__}); the server log has the details")


def error_responses(*statuses: int) -> dict[int, dict]:
    """OpenAPI ``responses`` entries for ``statuses``, all with the ErrorBody schema."""
    return {status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]} for status in statuses}


ERROR_DESCRIPTIONS = {
    403: "Refused: a path that names no configured speaker (no path a request names is ever opened), or a "
         "route that would load files or control the server.",
    404: "Unknown speaker (the message lists the known ones) or unknown route.",
    413: "The request body is larger than server.max_body_bytes.",
    422: "Invalid request: empty or too long input, invalid text, out-of-range or non-finite numbers, "
         "malformed JSON, a prompt longer than the LLM's context. `errors` lists each invalid field.",
    500: "An unexpected server error (details in the server log).",
    502: "The LLM failed (its server is unreachable or answered an error, or generation failed).",
    503: "Busy (retry after Retry-After seconds) or the speaker's voice is unavailable.",
}
