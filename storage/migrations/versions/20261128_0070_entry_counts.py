"""Keep each clinic's waitlist counts, so stats read a handful of rows instead of every entry.

`entry_counts` holds, per clinic and status, how many entries there are, how many of them have
a booking time, and the sum of their waits (created → booked) in microseconds. Triggers on
`waitlist_entries` keep it in the same transaction as every insert, delete and change of
status, clinic, booking time or creation time, whichever code path makes it.

- SQLite has one writer at a time, so its triggers add to the `entry_counts` rows directly.
- On PostgreSQL, concurrent transactions updating the same few rows would queue behind each
  other until commit, and deadlock when they touch statuses in different orders. Its
  triggers therefore only append signed changes to `entry_count_changes` (one row per clinic
  and status touched by a statement; appends never wait on each other). Readers add those
  changes to `entry_counts`; `fold_entry_counts()` moves them into it, skipping rows that
  another fold holds.

Existing rows are counted once here, under a lock that keeps writers out meanwhile.

Revision ID: 20261128_0070
Revises: 20261128_0040
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0070"
down_revision: str | None = "20261128_0040"
branch_labels = None
depends_on = None

# The columns whose change moves an entry between counts.
TRACKED = ("clinic_id", "status", "booked_at", "created_at")


def dialect() -> str:
    return op.get_context().dialect.name


def upgrade() -> None:
    op.create_table(
        "entry_counts",
        sa.Column("clinic_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("status", sa.String(20), primary_key=True),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("booked", sa.BigInteger(), nullable=False),
        sa.Column("wait_us", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "entry_count_changes",  # stays empty on SQLite
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("clinic_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("booked", sa.BigInteger(), nullable=False),
        sa.Column("wait_us", sa.BigInteger(), nullable=False),
    )
    if dialect() == "postgresql":
        op.execute("LOCK TABLE waitlist_entries IN SHARE MODE")
        _postgres_triggers()
        wait = "(extract(epoch FROM booked_at - created_at) * 1000000)::bigint"
    else:
        _sqlite_triggers()
        wait = _sqlite_wait("")
    op.execute(
        "INSERT INTO entry_counts (clinic_id, status, entries, booked, wait_us) "
        "SELECT clinic_id, status, count(*), count(booked_at), "
        f"coalesce(sum({wait}), 0) FROM waitlist_entries GROUP BY clinic_id, status"
    )


def _sqlite_wait(prefix: str) -> str:
    """Microseconds from created_at to booked_at, exact: stored moments are fixed-width text
    `YYYY-MM-DD HH:MM:SS.ffffff` (storage.types.UTCDateTime)."""
    booked, created = f"{prefix}booked_at", f"{prefix}created_at"
    return (
        f"((CAST(strftime('%s', {booked}) AS INTEGER) - CAST(strftime('%s', {created}) AS INTEGER))"
        f" * 1000000 + CAST(substr({booked}, 21, 6) AS INTEGER)"
        f" - CAST(substr({created}, 21, 6) AS INTEGER))"
    )


def _sqlite_add(row: str, sign: str) -> str:
    """One entry (NEW or OLD) added to (+) or taken from (-) its clinic's counts."""
    booked = f"CASE WHEN {row}.booked_at IS NULL THEN 0 ELSE {sign}1 END"
    wait = f"CASE WHEN {row}.booked_at IS NULL THEN 0 ELSE {sign}{_sqlite_wait(row + '.')} END"
    return (
        "INSERT INTO entry_counts (clinic_id, status, entries, booked, wait_us) "
        f"VALUES ({row}.clinic_id, {row}.status, {sign}1, {booked}, {wait}) "
        "ON CONFLICT (clinic_id, status) DO UPDATE SET "
        "entries = entries + excluded.entries, booked = booked + excluded.booked, "
        "wait_us = wait_us + excluded.wait_us;"
    )


def _sqlite_triggers() -> None:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in TRACKED)
    op.execute(
        "CREATE TRIGGER entry_counts_insert AFTER INSERT ON waitlist_entries "
        f"BEGIN {_sqlite_add('NEW', '')} END"
    )
    op.execute(
        "CREATE TRIGGER entry_counts_delete AFTER DELETE ON waitlist_entries "
        f"BEGIN {_sqlite_add('OLD', '-')} END"
    )
    op.execute(
        f"CREATE TRIGGER entry_counts_update AFTER UPDATE OF {', '.join(TRACKED)} "
        f"ON waitlist_entries WHEN {changed} "
        f"BEGIN {_sqlite_add('OLD', '-')} {_sqlite_add('NEW', '')} END"
    )


def _postgres_rows(table: str, sign: str) -> str:
    wait = "(extract(epoch FROM booked_at - created_at) * 1000000)::bigint"
    return (
        f"SELECT clinic_id, status, {sign}1 AS entries, "
        f"CASE WHEN booked_at IS NULL THEN 0 ELSE {sign}1 END AS booked, "
        f"coalesce({sign}{wait}, 0) AS wait_us FROM {table}"
    )


def _postgres_triggers() -> None:
    # Statement-level, with transition tables: one appended row per clinic and status that a
    # statement changed, whatever its number of rows (a bulk load or a set-based fill step).
    sources = {
        "insert": _postgres_rows("new_rows", ""),
        "delete": _postgres_rows("old_rows", "-"),
        "update": f"{_postgres_rows('new_rows', '')} UNION ALL {_postgres_rows('old_rows', '-')}",
    }
    for action, rows in sources.items():
        op.execute(
            f"CREATE FUNCTION entry_counts_{action}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN "
            "INSERT INTO entry_count_changes (clinic_id, status, entries, booked, wait_us) "
            "SELECT clinic_id, status, sum(entries), sum(booked), sum(wait_us) "
            f"FROM ({rows}) AS moved GROUP BY clinic_id, status "
            "HAVING sum(entries) <> 0 OR sum(booked) <> 0 OR sum(wait_us) <> 0 "
            "ORDER BY clinic_id, status; "
            "RETURN NULL; END $$"
        )
    referencing = {
        "insert": "REFERENCING NEW TABLE AS new_rows",
        "delete": "REFERENCING OLD TABLE AS old_rows",
        "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    }
    for action, tables in referencing.items():
        op.execute(
            f"CREATE TRIGGER entry_counts_{action} AFTER {action.upper()} ON waitlist_entries "
            f"{tables} FOR EACH STATEMENT EXECUTE FUNCTION entry_counts_{action}()"
        )


def downgrade() -> None:
    for action in ("insert", "delete", "update"):
        if dialect() == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS entry_counts_{action} ON waitlist_entries")
            op.execute(f"DROP FUNCTION IF EXISTS entry_counts_{action}()")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS entry_counts_{action}")
    op.drop_table("entry_count_changes")
    op.drop_table("entry_counts")
