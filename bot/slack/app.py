"""The Bolt app: `/waitlist`, its buttons, the Add form and App Home.

Every listener acks first and works after (Bolt runs it on a thread once the ack is sent), so
Slack's 3-second limit never depends on the database. Errors meant for the user become one
ephemeral reply in `on_error`; retried deliveries are answered and dropped before any listener.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any

from slack_bolt import Ack, App, BoltRequest, BoltResponse, Respond
from slack_sdk import WebClient

from bot.runtime import Runtime
from bot.slack import blocks
from bot.slack.acting_clinic import read_group
from bot.slack.commands import error_reply, run_line
from bot.slack.commands.base import Context, Reply
from bot.slack.errors import CommandError
from bot.slack.home import home_view
from bot.slack.modal import CALLBACK_ID, CLIENT_SEARCH, client_options, submit_add

log = logging.getLogger("waitlist.slack")

COMMAND = "/waitlist"
EVENTS = ("app_home_opened",)
SORRY = "Sorry, something went wrong on our side. Nothing was changed; please try again."


def build_slack_app(runtime: Runtime) -> App:
    settings = runtime.settings
    assert settings.slack_bot_token is not None and settings.slack_signing_secret is not None
    client = WebClient(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    app = App(
        client=client,
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        process_before_response=False,
        token_verification_enabled=False,  # no call to Slack while building the app
    )
    app.middleware(drop_retries)
    register(app, runtime)
    return app


def drop_retries(
    req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
) -> BoltResponse:  # noqa: A002
    """Slack redelivers an event it thinks was missed; the first delivery did the work."""
    if req.headers.get("x-slack-retry-num"):
        return BoltResponse(status=200, body="")
    return next()


def register(app: App, runtime: Runtime) -> None:
    """Every listener, by group, and the one error path they share."""
    _commands(app, runtime)
    _buttons(app, runtime)
    _forms(app, runtime)
    _home(app, runtime)

    @app.error
    def on_error(
        error: Exception, body: dict[str, Any], respond: Respond | None, client: WebClient
    ) -> None:
        report_error(error, body, respond, client)


def _answered(
    body: dict[str, Any], respond: Respond, client: WebClient, work: Callable[[], None]
) -> None:
    """Run a listener's work after its ack. An error is answered here through the same
    report_error that `on_error` uses: raised after the ack, Bolt could still answer Slack's
    request with an error of its own."""
    try:
        work()
    except Exception as error:
        report_error(error, body, respond, client)


def _commands(app: App, runtime: Runtime) -> None:
    @app.command(COMMAND)
    def on_command(ack: Ack, command: dict[str, Any], respond: Respond, client: WebClient) -> None:
        ack()

        def work() -> None:
            ctx = Context(runtime, command["user_id"], command.get("channel_id", ""))
            reply = run_line(ctx, command.get("text", ""))
            if reply.modal is not None:
                client.views_open(trigger_id=command["trigger_id"], view=reply.modal)
            else:
                send(reply, respond)

        _answered(command, respond, client, work)


def _buttons(app: App, runtime: Runtime) -> None:
    @app.action(re.compile(f"^{blocks.ACTION_PREFIX}"))
    def on_button(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond, client: WebClient
    ) -> None:
        ack()

        def work() -> None:
            user = body["user"]["id"]
            ctx = Context(runtime, user, (body.get("channel") or {}).get("id", ""))
            line = action["value"]
            reply = run_line(ctx, line)
            if body.get("response_url"):
                # a list page or a confirmed opening replaces the message it came from
                send(reply, respond, replace=line.startswith(("list", "opening confirm")))
            else:  # App Home has no response URL: answer in the app's DM
                client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks or None)

        _answered(body, respond, client, work)


def _forms(app: App, runtime: Runtime) -> None:
    @app.view(CALLBACK_ID)
    def on_add_form(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient
    ) -> None:
        user = body["user"]["id"]
        meta = json.loads(view.get("private_metadata") or "{}")
        channel = meta.get("channel", "")
        ctx = Context(runtime, user, channel, changes=True, example="add")
        if not ctx.staff_somewhere():
            ack(
                response_action="errors",
                errors={"first_name": "Only clinic staff can add entries."},
            )
            return
        try:  # the clinic the form was opened for; its staff only
            if meta.get("clinic"):
                ctx.adopt(int(meta["clinic"]), "This form")
            else:
                ctx.adopt(ctx.clinic.clinic_id, "This form")
        except CommandError as exc:
            ack(response_action="errors", errors={"first_name": exc.message})
            return
        result = submit_add(ctx, view["state"]["values"])
        if isinstance(result, dict):
            ack(response_action="errors", errors=result)
            return
        ack()
        if channel:
            client.chat_postEphemeral(
                channel=channel, user=user, text=result.text, blocks=result.blocks
            )
        else:
            client.chat_postMessage(channel=user, text=result.text, blocks=result.blocks)

    @app.options(CLIENT_SEARCH)
    def on_client_search(ack: Ack, body: dict[str, Any]) -> None:
        # Answered before the ack on purpose: the options are the ack's body (one LIKE query).
        view = body.get("view") or {}
        channel = json.loads(view.get("private_metadata") or "{}").get("channel", "")
        if not Context(runtime, body["user"]["id"], channel).staff_somewhere():
            ack(options=[])
            return
        with runtime.make_uow() as uow:
            options = client_options(uow, body.get("value", ""))
        ack(options=options)


def _home(app: App, runtime: Runtime) -> None:
    @app.event("app_home_opened")
    def on_home(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        group = read_group(runtime)
        # Each clinic the user may act on; someone on no staff list reads them all, as
        # every read-only command lets them.
        shown = group.of_user(event["user"]) or list(group.clinics)
        with runtime.make_uow() as uow:
            view = home_view(uow, now=runtime.clock(), clinics=shown)
        client.views_publish(user_id=event["user"], view=view)


def report_error(
    error: Exception, body: dict[str, Any], respond: Respond | None, client: WebClient
) -> None:
    """A user's mistake as an ephemeral reply; anything else logged, with an apology."""
    reply = error_reply(error)
    if reply is None:
        log.exception("Slack request failed", exc_info=error)
        reply = Reply(SORRY, blocks.problem(SORRY))
    if respond is not None and body.get("response_url"):
        send(reply, respond)
    elif (body.get("user") or {}).get("id") or body.get("user_id"):
        user = (body.get("user") or {}).get("id") or body["user_id"]
        client.chat_postMessage(channel=user, text=reply.text, blocks=reply.blocks)


def send(reply: Reply, respond: Respond, *, replace: bool = False) -> None:
    respond(
        text=reply.text,
        blocks=reply.blocks or None,
        response_type="in_channel" if reply.in_channel else "ephemeral",
        replace_original=replace,
    )
