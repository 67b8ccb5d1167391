"""The Slack bot: `/waitlist`, its buttons, modal and App Home, and channel updates."""
