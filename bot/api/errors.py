"""The REST envelope and every error turned into it, in one place (SPEC §7).

Success: {"code": 2000, "message": "Success", "data": …}. Errors: {"code": 4000,
"message": "invalid input", "data": null, "details": [{"field": …, "message": …}]} with the
HTTP status the code names; at most MAX_DETAILS problems are listed, then how many more there
were. Paths outside /apis/ keep FastAPI's own error responses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.api.auth import Forbidden, Unauthorized
from bot.api.mapping import api_field
from core.errors import Conflict, InvalidInput, NotFound, WaitlistError
from core.limits import check_text

log = logging.getLogger("waitlist.api")

API_PREFIX = "/apis/"
MAX_DETAILS = 5  # a body with thousands of mistakes gets a short answer, not a long one
QUERY_VALUE = 2000  # no query parameter needs more
MESSAGES = {
    400: "invalid input",
    401: "unauthorized",
    403: "forbidden",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    500: "internal error",
}


def ok(data: Any, **extra: Any) -> dict[str, Any]:
    return {"code": 2000, "message": "Success", "data": data, **extra}


def error_response(
    status: int, details: list[dict[str, Any]] | None = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(_envelope(status, details), status_code=status, headers=headers)


def error_body(status: int, field: str, message: str) -> str:
    """The error envelope as JSON text, for answers written below FastAPI (middleware)."""
    return json.dumps(_envelope(status, [{"field": field, "message": message}]))


def _envelope(status: int, details: list[dict[str, Any]] | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": status * 10,
        "message": MESSAGES.get(status, "error"),
        "data": None,
    }
    if details:
        body["details"] = details
    return body


class InvalidQuery(Exception):
    """A query or body value the route itself found wrong (beyond what the schema says)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def install(app: FastAPI) -> None:
    """Register the handlers. They answer only for API paths and defer to FastAPI elsewhere."""

    app.add_middleware(_QueryGuard)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if not _is_api(request):
            return await request_validation_exception_handler(request, exc)
        return error_response(400, _details(request, exc.errors()))

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        # The database refused a value the checks before it let through (out of range, a
        # NUL byte); the transaction was rolled back, so nothing was stored.
        log.warning("value refused by the database on %s %s", request.method, request.url.path)
        if not _is_api(request):
            return PlainTextResponse("invalid input", status_code=400)
        message = "A value is out of range or holds characters that cannot be stored."
        return error_response(400, [{"message": message}])

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        if not _is_api(request):
            return await http_exception_handler(request, exc)
        status = exc.status_code if exc.status_code in MESSAGES else 400
        return error_response(status, [{"message": str(exc.detail)}], exc.headers)

    @app.exception_handler(InvalidQuery)
    async def _query(request: Request, exc: InvalidQuery) -> Response:
        return error_response(400, [{"field": exc.field, "message": exc.message}])

    @app.exception_handler(Unauthorized)
    async def _unauthorized(request: Request, exc: Unauthorized) -> Response:
        return error_response(401, [{"message": str(exc)}], {"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return error_response(403, [{"message": str(exc)}])

    @app.exception_handler(WaitlistError)
    async def _domain(request: Request, exc: WaitlistError) -> Response:
        if isinstance(exc, InvalidInput):
            detail: dict[str, Any] = {"message": exc.message}
            if exc.field:
                detail["field"] = api_field(exc.field)
            return error_response(400, [detail])
        if isinstance(exc, NotFound):
            return error_response(404, [{"message": exc.message}])
        if isinstance(exc, Conflict):
            return error_response(409, [{"message": exc.message, "reason": exc.code}])
        return error_response(400, [{"message": exc.message}])

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # The trace goes to the log, never to the caller.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if not _is_api(request):
            return PlainTextResponse("Internal Server Error", status_code=500)  # Starlette's
        return error_response(500)


class _QueryGuard:
    """Query values of API requests follow the core text rules (no NUL or other control
    characters, no endless values) before any route or database sees them. Plain ASGI, so
    that other paths (Twilio's webhooks) pass straight through at no cost."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            for name, value in Request(scope).query_params.multi_items():
                try:
                    check_text(name, field="query parameter name", limit=100)
                    check_text(value, field=name or "query", limit=QUERY_VALUE)
                except InvalidInput as exc:
                    refused = error_response(400, [{"field": exc.field, "message": exc.message}])
                    await refused(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def _details(request: Request, errors: Sequence[Any]) -> list[dict[str, Any]]:
    """Pydantic's errors in the API's words. A body that is not JSON at all is one error
    about the body, not one per field (nor a character position posing as a field)."""
    body_errors = [e for e in errors if tuple(e.get("loc", ()))[:1] == ("body",)]
    if body_errors:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media and not _is_json(media):
            message = (
                "The body must be JSON, sent with 'Content-Type: application/json' "
                f"(got {media!r})."
            )
            return [{"field": "body", "message": message}]
        for error in body_errors:
            if error.get("type") == "json_invalid":
                reason = str(error.get("ctx", {}).get("error", "")).strip()
                message = "The body is not valid JSON" + (f": {reason}." if reason else ".")
                return [{"field": "body", "message": message}]
            if error.get("type") == "missing" and tuple(error.get("loc", ())) == ("body",):
                return [{"field": "body", "message": "A JSON object body is required."}]
    details = [_detail(error) for error in errors[:MAX_DETAILS]]
    if len(errors) > MAX_DETAILS:
        details.append({"message": f"… and {len(errors) - MAX_DETAILS} more problems."})
    return details


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _detail(error: dict[str, Any]) -> dict[str, Any]:
    loc = tuple(error.get("loc", ()))
    if loc == ("body",):
        return {"field": "body", "message": "The body must be a JSON object."}
    where = [str(part) for part in loc if part not in ("query", "body", "path")]
    field = ".".join(where) or "request"
    if len(field) > 100:  # a hostile key is named, not echoed in full
        field = field[:100] + "…"
    return {"field": field, "message": str(error.get("msg", "invalid"))}
