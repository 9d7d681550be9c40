"""Partner systems: registration, the complaints they submitted, signed webhooks and the feed
of partner-visible events (docs/partners.md)."""
