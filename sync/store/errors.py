"""The tablet store's exceptions."""

from __future__ import annotations


class StoreError(RuntimeError):
    """The store cannot do what was asked (closed, schema too new, a misused call)."""


class RecordLocked(StoreError):
    """The record is under review or approved on the server: only the workflow changes it."""


class UnknownRecord(StoreError, LookupError):
    """No such record on this tablet."""


class LeadLocked(RuntimeError):
    """The lead already reached the server, which keeps it as reported."""
