"""Find and register a CJK font at start, so Chinese is drawn as glyphs and never as boxes."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

log = logging.getLogger(__name__)

# Known places, most specific first: Android, Debian/Ubuntu fonts-noto-cjk, macOS, Windows.
KNOWN_FONTS = (
    "/system/fonts/NotoSansCJK-Regular.ttc",
    "/system/fonts/NotoSansSC-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
)


def find_cjk_font(
    environ: dict[str, str] | None = None, candidates: Iterable[str] = KNOWN_FONTS
) -> str | None:
    """The font file to use: ``TANFANG_FONT`` if it names a file, else the first known one."""
    env = os.environ if environ is None else environ
    chosen = env.get("TANFANG_FONT")
    if chosen:
        if os.path.isfile(chosen):
            return chosen
        log.warning("TANFANG_FONT=%s is not a file; looking in the usual places", chosen)
    return next((path for path in candidates if os.path.isfile(path)), None)


def register_cjk_font(path: str | None = None) -> str | None:
    """Make the CJK font Kivy's default; returns its path, or None (logged) when none exists."""
    from kivy.core.text import DEFAULT_FONT, LabelBase

    path = path or find_cjk_font()
    if path is None:
        log.error("no CJK font found: Chinese text would be drawn as boxes")
        return None
    LabelBase.register(DEFAULT_FONT, path)
    log.info("CJK font: %s", path)
    return path
