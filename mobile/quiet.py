"""Kivy's reports of a missing optional provider (libmtdev, clipboard tools) as one line."""

from __future__ import annotations

import logging
import re

_UNAVAILABLE = re.compile(r"^(\w+): Unable to find any valuable \w+ provider")
_TRIED = re.compile(r"^(\w+) - \w+Error", re.M)


class MissingProviders(logging.Filter):
    """Rewrites a missing-provider record to one INFO line without its traceback: a desktop
    without libmtdev, xclip or xsel is normal, not an error to alarm anyone reading logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text.startswith("Input: MTDev"):
            self._quiet(record, "Input: libmtdev not installed; multitouch devices not read")
        elif found := _UNAVAILABLE.match(text):
            tried = ", ".join(_TRIED.findall(text)) or "none"
            self._quiet(record, f"{found.group(1)}: no provider available (tried {tried})")
        return True

    @staticmethod
    def _quiet(record: logging.LogRecord, text: str) -> None:
        record.msg, record.args, record.exc_info, record.exc_text = text, (), None, None
        record.levelno, record.levelname = logging.INFO, "INFO"


def install() -> None:
    """Before Kivy is imported (its records go through Python logging: ``KIVY_LOG_MODE``)."""
    logger = logging.getLogger("kivy")
    if not any(isinstance(f, MissingProviders) for f in logger.filters):
        logger.addFilter(MissingProviders())
