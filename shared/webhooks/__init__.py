"""Webhooks: signed notifications to endpoints other systems run."""
