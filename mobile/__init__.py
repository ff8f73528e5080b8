"""Tanfang tablet app (Kivy): screens, view-models and platform glue over ``sync``."""

import os

# Before anything imports Kivy: it must not parse the host program's arguments (pytest's,
# the tanfang CLI's) nor replace Python logging's handlers with its own.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

# One quiet line, not a traceback, for each optional provider a desktop lacks.
from mobile import quiet  # noqa: E402 - after the environment above, before any Kivy import

quiet.install()
