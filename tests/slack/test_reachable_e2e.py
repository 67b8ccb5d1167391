"""Staff see who cannot be texted: `show`, `list` and App Home mark an entry whose client
opted out or whose number is wrong, with the reason."""

from __future__ import annotations

from bot.slack.blocks import to_text
from core.patients import opt_out, wrong_number
from tests.scenario import NOW
from tests.slack.conftest import SlackHttp


def _unreachable_pair(slack: SlackHttp) -> tuple[str, str, str]:
    world = slack.world
    ana, ben, cal = (world.client(name, n) for n, name in enumerate(["Ana", "Ben", "Cal"], 1))
    refs = [world.entry(client).ref for client in (ana, ben, cal)]
    with world.make_uow() as uow:
        for client, act in ((ana, opt_out), (ben, wrong_number)):
            found = uow.clients.get(client.id or 0)
            assert found is not None
            act(uow=uow, client=found, text="x", now=NOW, policy=world.policy, actor="patient")
        uow.commit()
    return refs[0], refs[1], refs[2]


def test_show_and_list_mark_entries_that_cannot_be_texted(slack: SlackHttp) -> None:
    opted, wrong, fine = _unreachable_pair(slack)

    slack.command(f"show {opted}")
    shown = slack.reply_text()
    slack.command("list")
    listed = slack.api.wait_for("response_url", 2)[-1]
    text = to_text(listed["blocks"])

    assert "cannot be texted: opted out of texts" in shown.splitlines()[0]
    lines = {line.split()[0]: line for line in text.splitlines() if line.startswith("W-")}
    assert lines[opted].endswith("cannot be texted: opted out of texts")
    assert lines[wrong].endswith("cannot be texted: phone number is invalid")
    assert "cannot be texted" not in lines[fine]


def test_app_home_lists_who_cannot_be_texted(slack: SlackHttp) -> None:
    opted, wrong, fine = _unreachable_pair(slack)

    slack.event({"type": "app_home_opened", "user": "USTAFF", "tab": "home"})

    text = to_text(slack.api.wait_for("views.publish")[0]["view"]["blocks"])
    assert "Cannot be texted (2)" in text
    assert f"Ana ({opted}) · opted out of texts" in text
    assert f"Ben ({wrong}) · phone number is invalid" in text
    assert f"({fine})" not in text
