"""The store's reads for the screens, a mixin of :class:`sync.store.SQLiteStore` (split
from the facade by concern: these only read, each in one snapshot)."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from sync.policy import DEFAULT_POLICY, Policy
from sync.schedule import DEFAULT_TZ
from sync.store import leads, read
from sync.store.tx import Tx


class Reading:
    """What the screens read; the facade provides ``_reading`` (a read transaction)."""

    def _reading(self) -> AbstractContextManager[Tx]:  # pragma: no cover - the facade's
        raise NotImplementedError

    def record(self, entity: str, record_id: str) -> dict[str, Any] | None:
        """One stored record (with ``version`` and ``local_state``), or None."""
        with self._reading() as tx:
            return read.record(tx, entity, record_id)

    def households(self) -> list[dict[str, Any]]:
        """All households on the tablet, by head's name."""
        with self._reading() as tx:
            return read.households(tx)

    def household(self, household_id: str) -> dict[str, Any] | None:
        """One household with its members under ``persons``, or None."""
        with self._reading() as tx:
            return read.household(tx, household_id)

    def visits_for(self, household_id: str) -> list[dict[str, Any]]:
        """The household's visits on the tablet (drafts included), newest first."""
        with self._reading() as tx:
            return read.history(tx, "visit", household_id)

    def interviews_for(self, household_id: str) -> list[dict[str, Any]]:
        """The household's interviews on the tablet (drafts included), newest first."""
        with self._reading() as tx:
            return read.history(tx, "interview", household_id)

    def open_warnings(self) -> list[dict[str, Any]]:
        """Warnings still open or being verified, most severe first, then oldest first."""
        with self._reading() as tx:
            return read.open_warnings(tx)

    def due_list(
        self, today: date, *, tz: str = DEFAULT_TZ, policy: Policy = DEFAULT_POLICY, only=None
    ) -> list[dict[str, Any]]:
        """Each active household's visit status on ``today``, worst first (DESIGN §4).

        Items are ``{"household": …, "schedule": ScheduleStatus}``. The cycle is the
        server's ``visit_cycle``; a household without one (not yet synced with it) gets
        ``policy``'s cycle. Counting visits are this tablet's, as on the server
        (:func:`sync.schedule.completed_days`). Households enrolled after ``today`` are left
        out. ``only``: just that household's item (none when closed or not enrolled yet).
        """
        with self._reading() as tx:
            return read.due_list(tx, today, tz, policy, only)

    def checksum(self) -> str:
        """A SHA-256 over every synced record's (entity, id, version, data).

        Two tablets that hold the same server state give the same value, whatever order
        they received it in (data is stored as canonical JSON).
        """
        with self._reading() as tx:
            return read.checksum(tx)

    def leads(self) -> list[dict[str, Any]]:
        """Every lead on the tablet, newest first."""
        with self._reading() as tx:
            return leads.leads(tx)

    def fieldwork(
        self, *, advisor_id: int | None = None, limit: int | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        """Visits, interviews and leads on the tablet (drafts included), newest first by
        the instant, in one query: each record with ``entity`` and ``household`` (its
        household without members; None for a lead or a household no longer here).
        ``advisor_id``: only that advisor's records; ``status``: only records whose
        server status is that (e.g. ``returned``); ``limit``: the newest so many."""
        with self._reading() as tx:
            return read.fieldwork(tx, advisor_id, limit, status)
