"""`waitlist simulate`: the real fill engine played against a simulated clinic (SPEC §12)."""
