"""The grammar of the `/waitlist add` and `edit` lines, one small module per kind of phrase."""
