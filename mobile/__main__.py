"""``python -m mobile [--server URL] [--data-dir DIR]``: the same as ``tanfang app``."""

from mobile.cli import app_command

if __name__ == "__main__":
    app_command(prog_name="python -m mobile")
