"""A request-body size limit, enforced before the body is read.

A declared ``Content-Length`` over the limit is refused at once with 413, without reading the body.
A body without one (chunked) is counted as it arrives; the request fails with 413 as soon as
the count passes the limit, so no more than the limit (plus one network chunk) is ever buffered.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.errors import error_response


def too_large(limit: int) -> str:
    return f"request body too large: the limit is {limit} bytes (server.max_body_bytes)"


class BodyLimit:
    """ASGI middleware: 413 for HTTP request bodies larger than ``max_bytes``."""

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or ()).get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0:
                await error_response(400, "invalid Content-Length header")(scope, receive, send)
                return
            if size > self.max_bytes:
                # answered without reading; the connection closes so the unread body is dropped
                await error_response(413, too_large(self.max_bytes),
                                     headers={"Connection": "close"})(scope, receive, send)
                return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    # raised inside the route's body read: the app's handlers answer 413
                    raise HTTPException(413, too_large(self.max_bytes), headers={"Connection": "close"})
            return message

        await self.app(scope, counting_receive, send)
