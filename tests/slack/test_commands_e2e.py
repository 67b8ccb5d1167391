"""Each `/waitlist` subcommand over signed HTTP: a success and a bad input, with the exact
words the user sees."""

from __future__ import annotations

from bot.slack.blocks import to_text
from bot.sms.inbound import handle_sms
from tests.scenario import local
from tests.slack.conftest import OUTSIDER, SlackHttp


def test_help_lists_every_subcommand_for_anyone(slack: SlackHttp) -> None:
    response = slack.command("help", user=OUTSIDER)

    assert response.status_code == 200
    text = slack.reply_text()
    for name in (
        "add",
        "list",
        "show",
        "edit",
        "remove",
        "match",
        "offer",
        "cancel",
        "opening",
        "stats",
        "expire",
        "help",
    ):
        assert f"/waitlist {name}" in text
    assert slack.replies()[-1]["response_type"] == "ephemeral"


def test_unknown_subcommand_is_named_back(slack: SlackHttp) -> None:
    response = slack.command("frobnicate")

    assert response.status_code == 200  # acked, though the command itself failed
    assert (
        slack.reply_text()
        == "! I don't know `frobnicate`. Try `/waitlist help` for the list of commands."
    )


def test_show_gives_the_entry_card_with_buttons(slack: SlackHttp) -> None:
    jane = slack.world.client("Jane", 1)
    entry = slack.world.entry(jane, priority=2, notes="no weekends")

    slack.command(f"show {entry.ref}")

    text = slack.reply_text()
    assert text.splitlines()[0] == "W-1 Jane Tester · Botox · waiting · priority 2"
    assert "“no weekends”" in text
    assert "[Offer: offer W-1]   [Match: match W-1]   [Remove: remove W-1]" in text


def test_show_of_a_missing_entry_says_so(slack: SlackHttp) -> None:
    slack.command("show W-99")

    assert slack.reply_text() == "! Waitlist entry W-99 does not exist."


def test_list_shows_active_entries_as_cards_and_pages(slack: SlackHttp) -> None:
    for n in range(12):
        slack.world.entry(slack.world.client(f"C{n}", n + 1))

    slack.command("list")
    first = slack.reply_text()
    slack.command("list page 2")
    second = slack.api.wait_for("response_url", 2)[-1]

    assert first.startswith("Active waitlist entries — 12 entries")
    assert "Page 1 of 2" in first and "[Next ›: list active page 2]" in first
    assert len([b for b in second["blocks"] if b["type"] == "actions"]) == 3  # 2 cards + pager


def test_list_refuses_an_unknown_status(slack: SlackHttp) -> None:
    slack.command("list pending")

    assert slack.reply_text() == (
        "! I didn't understand 'pending'. A list takes a status (active, all, waiting, offered, "
        "booked, cancelled, expired), a service, a provider or a priority."
    )


def test_list_filters_by_service_provider_and_priority(slack: SlackHttp) -> None:
    world = slack.world
    world.entry(world.client("Jane", 1), provider_ids=(world.lee.id,), priority=1)
    world.entry(world.client("Bob", 2), service_id=world.filler.id)

    slack.command("list botox w/ lee p1")

    text = slack.reply_text()
    assert text.startswith("Active · Botox · Dr. Lee · priority 1 waitlist entries — 1 entry")
    assert "Jane Tester" in text and "Bob" not in text


def test_remove_cancels_the_entry(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))

    slack.command(f"remove {entry.ref}")

    assert slack.reply_text() == "✓ W-1 is off the waitlist (cancelled)."
    with slack.runtime.make_uow() as uow:
        assert uow.entries.get(entry.id).status == "cancelled"


def test_remove_twice_says_it_is_already_cancelled(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))
    slack.command(f"remove {entry.ref}")
    slack.replies()
    slack.command(f"remove {entry.ref}")

    assert slack.api.wait_for("response_url", 2)[-1]["text"] == "W-1 is already cancelled."


def test_remove_with_a_bad_reference(slack: SlackHttp) -> None:
    slack.command("remove Jane")

    assert slack.reply_text() == (
        "! I couldn't find an entry or a client called 'Jane'; say the entry, "
        "e.g. `/waitlist remove W-12`, or the client's name."
    )


def test_remove_by_the_clients_name_when_they_have_one_active_entry(slack: SlackHttp) -> None:
    slack.world.entry(slack.world.client("Jane", 1))

    slack.command("remove jane tester moved away")

    assert slack.reply_text() == "✓ W-1 is off the waitlist (cancelled): moved away."


def test_a_name_with_two_active_entries_asks_which(slack: SlackHttp) -> None:
    jane = slack.world.client("Jane", 1)
    slack.world.entry(jane)
    slack.world.entry(jane, service_id=slack.world.filler.id)

    slack.command("show Jane Tester")

    assert slack.reply_text() == (
        "! 'Jane Tester' could mean W-1, W-2; say which, e.g. `/waitlist show W-1`."
    )


def test_a_name_with_no_active_entry_says_so(slack: SlackHttp) -> None:
    slack.world.client("Jane", 1)

    slack.command("edit Jane afternoons")

    assert slack.reply_text() == "! 'Jane' has no active waitlist entry."


def test_match_lists_free_slots_with_offer_buttons(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1), provider_ids=(slack.world.lee.id,))

    slack.command(f"match {entry.ref}")

    text = slack.reply_text()
    assert text.splitlines()[0] == "Free slots for W-1"
    assert "Mon Feb 16" in text.splitlines()[1]
    assert "11:00 AM with Dr. Lee   [Offer: offer W-1 P2@2026-02-16T16:00Z]" in text


def test_match_with_a_backwards_range_is_refused(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1))

    slack.command(f"match {entry.ref} Feb 27 to Feb 20")

    assert slack.reply_text() == (
        "! The dates contradict each other: 'Feb 27 to Feb 20' leaves no day."
    )


def test_match_reads_a_relative_range(slack: SlackHttp) -> None:
    entry = slack.world.entry(slack.world.client("Jane", 1), provider_ids=(slack.world.lee.id,))

    slack.command(f"match {entry.ref} next week")

    text = slack.reply_text()
    assert "Mon Feb 23" in text and "Mon Feb 16" not in text


def test_offer_of_a_matched_slot_texts_the_client(slack: SlackHttp) -> None:
    jane = slack.world.client("Jane", 1)
    entry = slack.world.entry(jane)

    slack.click(f"offer {entry.ref} P2@2026-02-17T16:00Z")

    assert slack.api.wait_for("response_url")[-1]["text"] == (
        "Offer sent to Jane (W-1) for Tue Feb 17 11:00 AM (O-1); it holds until 10:15 AM."
    )
    with slack.runtime.make_uow() as uow:
        assert uow.entries.get(entry.id).status == "offered"
        assert [m.kind for m in uow.messages.for_client(jane.id)] == ["offer"]


def test_offer_of_a_matched_slot_already_being_filled_points_to_its_opening(
    slack: SlackHttp,
) -> None:
    jane = slack.world.client("Jane", 1)
    entry = slack.world.entry(jane)
    slack.click(f"offer {entry.ref} P2@2026-02-17T16:00Z")
    slack.api.wait_for("response_url")
    other = slack.world.entry(slack.world.client("Omar", 2))

    slack.click(f"offer {other.ref} P2@2026-02-17T16:00Z")  # a button of an older match

    assert slack.api.wait_for("response_url", 2)[-1]["text"] == (
        "O-1 is already open for Dr. Lee at that time; offer it with `/waitlist offer W-2 O-1`."
    )
    with slack.runtime.make_uow() as uow:
        assert uow.openings.open_ids() == [1]
        assert uow.entries.get(other.id).status == "waiting"


def test_offer_of_a_still_booked_appointment_is_refused(slack: SlackHttp) -> None:
    world = slack.world
    entry = world.entry(world.client("Jane", 1))
    appointment = world.appointment(world.client("Bob", 2), local(18, 10))

    slack.command(f"offer {entry.ref} {appointment.ref}")

    assert slack.reply_text() == (
        "! A-1 is still booked. Cancel it first so its slot can be offered."
    )


def test_cancel_opens_the_slot_and_texts_candidates(slack: SlackHttp) -> None:
    world = slack.world
    world.entry(world.client("Jane", 1))
    appointment = world.appointment(world.client("Bob", 2), local(18, 10))

    slack.command(f"cancel {appointment.ref} sick")

    assert slack.reply_text() == (
        "✓ O-1 opened for Wed Feb 18 10:00 AM. Offers texted to Jane (W-1)."
    )


def test_match_shows_a_time_being_filled_with_its_opening_to_offer(slack: SlackHttp) -> None:
    world = slack.world
    world.entry(world.client("Jane", 1))
    appointment = world.appointment(world.client("Bob", 2), local(18, 10))
    slack.command(f"cancel {appointment.ref} sick")
    slack.replies()
    omar = world.entry(world.client("Omar", 3), provider_ids=(world.johnson.id,))

    slack.command(f"match {omar.ref} feb 18")

    shown = to_text(slack.replies(2)[-1]["blocks"])
    assert "10:00 AM with Dr. Johnson (O-1, being filled)   [Offer: offer W-2 O-1]" in shown
    assert "P1@2026-02-18T15:00Z" not in shown


def test_cancel_says_who_fits_but_was_held_back_by_the_contact_cap(slack: SlackHttp) -> None:
    world = slack.world
    jane = world.client("Jane", 1)
    world.entry(jane)
    first = world.appointment(world.client("Bob", 2), local(18, 10))
    slack.command(f"cancel {first.ref}")
    slack.replies()
    handle_sms(slack.runtime, jane.phone, "no thanks")  # waiting again, after today's offer
    second = world.appointment(world.client("Cy", 3), local(19, 10))

    slack.command(f"cancel {second.ref}")

    assert slack.replies(2)[-1]["text"] == (
        "O-2 opened for Thu Feb 19 10:00 AM. No one was texted: Jane (W-1) has had 1 offer "
        "in the last day, all the contact cap allows."
    )


def test_cancel_by_the_clients_name_or_by_provider_and_time(slack: SlackHttp) -> None:
    world = slack.world
    world.entry(world.client("Jane", 1))
    world.appointment(world.client("Bob", 2), local(18, 10))
    world.appointment(world.client("Amy", 3), local(19, 11))

    slack.command("cancel bob tester sick")
    assert slack.reply_text() == (
        "✓ O-1 opened for Wed Feb 18 10:00 AM. Offers texted to Jane (W-1)."
    )
    slack.command("cancel dr johnson thu feb 19 11am")
    assert slack.replies(2)[-1]["text"].startswith("O-2 opened for Thu Feb 19 11:00 AM.")
    with slack.runtime.make_uow() as uow:
        assert uow.appointments.get(1).cancel_reason == "sick"


def test_cancel_of_a_slot_with_no_booking_points_to_opening(slack: SlackHttp) -> None:
    slack.command("cancel dr johnson wed feb 18 3pm")

    assert slack.reply_text() == (
        "! Dr. Johnson has no appointment booked at Wed Feb 18 3:00 PM. A free slot with no "
        "booking is filled with `/waitlist opening` (e.g. `/waitlist opening dr johnson wed "
        "feb 18 3pm <service>`)."
    )


def test_cancel_by_name_with_two_appointments_lists_them(slack: SlackHttp) -> None:
    bob = slack.world.client("Bob", 2)
    slack.world.appointment(bob, local(18, 10))
    slack.world.appointment(bob, local(19, 10))

    slack.command("cancel Bob")

    assert slack.reply_text() == (
        "! 'Bob' has A-1 (Wed Feb 18 10:00 AM), A-2 (Thu Feb 19 10:00 AM); say which, "
        "e.g. `/waitlist cancel A-1`."
    )


def test_cancel_of_a_missing_appointment(slack: SlackHttp) -> None:
    slack.command("cancel A-404")

    assert slack.reply_text() == "! Appointment A-404 does not exist."


def test_opening_finds_provider_and_service_by_name_despite_typos(slack: SlackHttp) -> None:
    world = slack.world
    world.entry(world.client("Jane", 1))

    slack.command("opening dr lee botx Wed Feb 18 2pm")

    preview = slack.reply_text()
    assert preview.splitlines()[:2] == [
        "Open Botox with Dr. Lee · Wed Feb 18 2:00 PM–3:00 PM?",
        "Confirm to text Jane (W-1) now.",
    ]
    with slack.runtime.make_uow() as uow:
        assert uow.openings.open_ids() == []  # nothing opened, no one texted before confirming
    slack.click("opening confirm P2 S1 2026-02-18T19:00Z")
    assert slack.api.wait_for("response_url", 2)[-1]["text"] == (
        "O-1 opened for Wed Feb 18 2:00 PM. Offers texted to Jane (W-1)."
    )


def test_opening_outside_working_hours_is_refused_naming_the_time(slack: SlackHttp) -> None:
    slack.command("opening dr lee botox Wed Feb 18 8am")

    assert slack.reply_text().startswith("! '8am': Dr. Lee works 9:00 AM-5:00 PM on Wednesdays")


def test_opening_with_an_unknown_provider_suggests_one(slack: SlackHttp) -> None:
    slack.command("opening Dr. Smith Botox Wed 2pm")

    assert slack.reply_text() == (
        "! I couldn't find a provider called 'Dr. Smith' (providers: Dr. Johnson, Dr. Lee)."
    )


def test_stats_reports_counts_and_fills(slack: SlackHttp) -> None:
    slack.world.entry(slack.world.client("Jane", 1))

    slack.command("stats")

    assert slack.reply_text() == (
        "Waitlist: 1 entry (waiting 1 · offered 0 · booked 0 · cancelled 0 · expired 0)\n"
        "Active 1 · conversion 0% · average wait to booking 0 days\n"
        "Yesterday (2026-02-15): openings 0, filled 0, expired unfilled 0, "
        "median time to fill –, offers sent 0, accepted 0%\n"
        "Last 30 days (2026-01-17 to 2026-02-15): openings 0, filled 0, "
        "median time to fill –, offers sent 0, accepted 0%\n"
        "Conversion: of all entries ever added to the waitlist, the share booked from it. "
        "Accepted: of the offers texted, the share the patient answered YES."
    )


def test_stats_takes_no_arguments(slack: SlackHttp) -> None:
    slack.command("stats please")

    assert slack.reply_text() == "! `stats` takes no arguments."


def test_expire_ends_old_entries(slack: SlackHttp) -> None:
    from datetime import timedelta

    from tests.scenario import NOW

    slack.world.entry(slack.world.client("Jane", 1), at=NOW - timedelta(days=40))

    slack.command("expire 30")

    assert slack.reply_text() == "✓ Expired 1 entry older than 30 days or past expiry."


def test_expire_wants_a_number(slack: SlackHttp) -> None:
    slack.command("expire soon")

    assert slack.reply_text() == "! 'soon' is not a number of days. Try `/waitlist expire 30`."
