"""The HTTP app factory. Later routes (Slack, SMS, REST) mount here."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from bot.api import mount as mount_api
from bot.runtime import Runtime, build_runtime
from bot.settings import Settings
from bot.sms.dispatcher import OutboxDispatcher
from bot.sms.webhooks import mount as mount_sms
from bot.webhooks.worker import WebhookWorker
from storage.db import ping


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """While the app serves, queued texts and webhooks are sent by threads of their own."""
    dispatcher = OutboxDispatcher(app.state.runtime)
    webhooks = WebhookWorker(app.state.runtime)
    dispatcher.start()
    webhooks.start()
    try:
        yield
    finally:
        dispatcher.stop()
        webhooks.stop()


def create_app(settings: Settings | None = None, *, runtime: Runtime | None = None) -> FastAPI:
    runtime = runtime or build_runtime(settings or Settings())
    app = FastAPI(title="Waitlist", version="0.1.0", lifespan=_lifespan)
    app.state.runtime = runtime
    mount_sms(app, runtime)
    mount_api(app, runtime)
    from bot.slack.http import mount as mount_slack

    mount_slack(app, runtime)

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    def readyz() -> JSONResponse:
        if ping(runtime.engine):
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "database unreachable"}, status_code=503)

    return app
