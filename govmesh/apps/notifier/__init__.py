"""Sending messages to people (SMS) with an outbox: written with the business change, sent at least once."""
