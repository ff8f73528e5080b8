"""``python -m mobile.screenshots [--out DIR]``: every screen with demo data, as PNG.

Builds a throw-away store filled from a demo server started in-process (SQLite, its own
temporary folder), signs in as advisor1, then renders each screen at 1280×800 (and the
due list at 800×1280). Needs a display (Xvfb is fine).
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mobile.screenshots")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args.out.mkdir(parents=True, exist_ok=True)
    from mobile.shots import render

    with tempfile.TemporaryDirectory(prefix="tanfang-shots-") as tmp:
        render(Path(tmp), args.out.resolve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
