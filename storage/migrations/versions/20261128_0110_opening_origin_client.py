"""Openings remember whose cancelled appointment they are, so the fill never offers a client
their own slot back.

`origin_client_id` is the client of `origin_appointment_id`; openings made before it are
filled in from their appointment. On SQLite the column is added in place (ADD COLUMN with its
reference), not by copying the table: offers refer to openings, so a copy could not drop the
old table once there are any.

Revision ID: 20261128_0110
Revises: 20261128_0100
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "20261128_0110"
down_revision: str | None = "20261128_0100"
branch_labels = None
depends_on = None

COLUMN = "origin_client_id"
FOREIGN_KEY = "fk_openings_origin_client_id_clients"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            f"ALTER TABLE openings ADD COLUMN {COLUMN} INTEGER "
            f"CONSTRAINT {FOREIGN_KEY} REFERENCES clients (id)"
        )
    else:
        op.add_column("openings", sa.Column(COLUMN, sa.Integer(), nullable=True))
        op.create_foreign_key(FOREIGN_KEY, "openings", "clients", [COLUMN], ["id"])
    op.execute(
        f"UPDATE openings SET {COLUMN} = (SELECT appointments.client_id FROM appointments"
        " WHERE appointments.id = openings.origin_appointment_id)"
        " WHERE origin_appointment_id IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(f"ALTER TABLE openings DROP COLUMN {COLUMN}")
    else:
        op.drop_constraint(FOREIGN_KEY, "openings", type_="foreignkey")
        op.drop_column("openings", COLUMN)
