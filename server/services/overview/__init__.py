"""Figures for the dashboard: completion, sync health, visits per month, warnings."""
