"""Warnings (预警): raised by rules from visits and interviews, worked through to closure."""
