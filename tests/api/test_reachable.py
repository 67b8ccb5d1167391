"""A request item says whether its patient can be texted, and why not."""

from __future__ import annotations

from core.patients import opt_out, wrong_number
from tests.api.conftest import Api
from tests.scenario import NOW, World

URL = "/apis/v1/waitlist-requests"


def test_request_items_carry_reachable_and_the_reason(api: Api, world: World) -> None:
    ana, ben, cal = (world.client(name, n) for n, name in enumerate(["Ana", "Ben", "Cal"], 1))
    ids = {c.first_name: world.entry(c).id for c in (ana, ben, cal)}
    with world.make_uow() as uow:
        for client, act in ((ana, opt_out), (ben, wrong_number)):
            found = uow.clients.get(client.id or 0)
            assert found is not None
            act(uow=uow, client=found, text="x", now=NOW, policy=world.policy, actor="patient")
        uow.commit()

    listed = {int(i["id"]): i for i in api.get(URL).json()["data"]}
    one = api.get(f"{URL}/{ids['Ben']}").json()["data"]

    assert (listed[ids["Ana"]]["reachable"], listed[ids["Ana"]]["unreachable_reason"]) == (
        False,
        "opted_out",
    )
    assert (one["reachable"], one["unreachable_reason"]) == (False, "invalid_phone")
    assert (listed[ids["Cal"]]["reachable"], listed[ids["Cal"]]["unreachable_reason"]) == (
        True,
        None,
    )
