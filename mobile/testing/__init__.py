"""Test support shipped with the app: the UI-test driver channel (off unless asked for)."""
