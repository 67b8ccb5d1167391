"""The REST API for integrations (SPEC §7), mounted under /apis/v1 by `mount`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.utils import get_openapi

from bot.api import (
    appointments,
    clinics,
    directory,
    errors,
    offers,
    requests,
    stats,
    webhooks,
)
from bot.api.context import known_query_only
from bot.api.idempotency import KEY_PATTERN, MAX_KEY, IdempotencyMiddleware
from bot.api.schemas import ErrorEnvelope
from bot.runtime import Runtime

PREFIX = "/apis/v1"
# The integrator's guide, shown at the top of /docs.
_GUIDE = (Path(__file__).parent / "guide.md").read_text(encoding="utf-8")
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorEnvelope, "description": "Invalid input (code 4000)"},
    401: {"model": ErrorEnvelope, "description": "No valid Bearer token (code 4010)"},
    403: {"model": ErrorEnvelope, "description": "The role may not do this (code 4030)"},
    404: {"model": ErrorEnvelope, "description": "Not found, or not yours (code 4040)"},
    405: {"model": ErrorEnvelope, "description": "Method not allowed (code 4050)"},
    409: {"model": ErrorEnvelope, "description": "Conflict with the current state (code 4090)"},
}


def mount(app: FastAPI, runtime: Runtime) -> None:
    """Add the /apis/v1 routes, their error handlers and their OpenAPI description."""
    app.state.runtime = runtime
    api = APIRouter(prefix=PREFIX, responses=_ERRORS, dependencies=[Depends(known_query_only)])
    for module in (requests, offers, stats, appointments, directory, clinics, webhooks):
        api.include_router(module.router)
    app.include_router(api)
    app.add_middleware(IdempotencyMiddleware, runtime=runtime, prefix=PREFIX)
    errors.install(app)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]


_IDEMPOTENCY_KEY: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send the same key again (same caller, same request, within 24 h) to get "
    "the first answer back without the work being done twice; the same key with a different "
    "request is 409. Answers given again carry `Idempotent-Replayed: true`.",
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY, "pattern": KEY_PATTERN},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema, without the 422 it documents by default: the API answers 400."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=_GUIDE,
            routes=app.routes,
        )
        schema.setdefault("components", {})["securitySchemes"] = {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "HS256 JWT with sub, exp, role; STAFF may add clinic_ids.",
            }
        }
        for path, operations in schema.get("paths", {}).items():
            if not path.startswith(PREFIX):
                continue
            for method, operation in operations.items():
                operation.get("responses", {}).pop("422", None)
                operation["security"] = [{"bearer": []}]
                if method == "post":
                    operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
        app.openapi_schema = schema
    return app.openapi_schema
