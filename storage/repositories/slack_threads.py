"""Where each opening's Slack thread is: read and written outside any domain transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.tables import SlackThreadRow


class SlackThreads:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, opening_id: int) -> tuple[str, str] | None:
        with Session(self.engine) as session:
            row = session.get(SlackThreadRow, opening_id)
            return (row.channel, row.ts) if row else None

    def remember(self, opening_id: int, channel: str, ts: str, now: datetime) -> tuple[str, str]:
        """Store the thread; if another instance stored one first, keep and return theirs."""
        try:
            with Session(self.engine) as session, session.begin():
                session.add(
                    SlackThreadRow(opening_id=opening_id, channel=channel, ts=ts, created_at=now)
                )
        except IntegrityError:
            found = self.get(opening_id)
            if found is not None:
                return found
            raise
        return channel, ts

    def all_for(self, opening_ids: list[int]) -> dict[int, tuple[str, str]]:
        with Session(self.engine) as session:
            rows = session.scalars(
                select(SlackThreadRow).where(SlackThreadRow.opening_id.in_(opening_ids))
            )
            return {row.opening_id: (row.channel, row.ts) for row in rows}
