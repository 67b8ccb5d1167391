"""Outbound webhooks: signing and the delivery worker (SPEC §13)."""
