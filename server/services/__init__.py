"""Business operations as plain functions taking (session, actor, data, now)."""
