"""The HTTP app factory. Later routes (Slack, SMS, REST) mount here."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from storage.db import ping


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings or Settings())
    app = FastAPI(title="Waitlist", version="0.1.0")
    app.state.runtime = runtime

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        if ping(runtime.engine):
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    return app
