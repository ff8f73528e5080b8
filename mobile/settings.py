"""The advisor's settings (language, text size, server URL), kept in a small JSON file."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

TEXT_SCALES = {"small": 0.9, "normal": 1.0, "large": 1.2}


@dataclass
class Settings:
    """What the settings screen changes; unknown keys in the file are ignored."""

    lang: str = "zh"
    text_size: str = "normal"
    server_url: str = ""

    @property
    def text_scale(self) -> float:
        """The factor font sizes are multiplied by."""
        return TEXT_SCALES.get(self.text_size, 1.0)

    @classmethod
    def load(cls, path: Path) -> Settings:
        """Read ``path``; defaults when it is missing or unreadable (a settings file is
        never worth refusing to start over)."""
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names and isinstance(v, str)})

    def save(self, path: Path) -> None:
        """Write atomically: a kill mid-write leaves the old file, not half a new one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
