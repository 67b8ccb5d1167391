"""`POST /slack/events` on the FastAPI app, when Slack credentials are configured."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool

from bot.runtime import Runtime


def mount(app: FastAPI, runtime: Runtime) -> None:
    settings = runtime.settings
    if not (settings.slack_bot_token and settings.slack_signing_secret):
        return
    from bot.slack.app import build_slack_app

    bolt = build_slack_app(runtime)
    app.state.slack_app = bolt

    @app.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        body = await request.body()
        # Bolt is synchronous (it verifies, acks, and hands work to its threads): keep it
        # off the event loop.
        response = await run_in_threadpool(bolt.dispatch, to_bolt_request(request, body))
        return to_starlette_response(response)
