"""The SMS side: Twilio sender, webhooks, the outbox dispatcher, and inbound handling."""
