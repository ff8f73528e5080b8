"""Upload bombs against a live server (issue 18 item 1): the archive is checked before it is
inflated, so neither a sheet that inflates to hundreds of MB nor a sheet declaring
``A1:XFD8000`` grows the server's memory or delays a tablet's concurrent request."""

from __future__ import annotations

import io
import re
import threading
import time
import zipfile
from pathlib import Path

import pytest
import requests

from server.services.roster.sheets import MAX_SHEET_BYTES
from tests.server.roster.conftest import row, xlsx_bytes
from tests.server_fixtures import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
_SHEET = "xl/worksheets/sheet1.xml"
# What the server may grow by while refusing a bomb (the old reader took 1-3.6 GB).
MAX_GROWTH_MB = 60
# A tablet's sign-in while the bomb is being refused (it got 503s during an 83 s parse).
MAX_ANSWER_S = 2.0

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/clear_refs").exists(), reason="needs Linux's /proc to measure memory"
)


def _replace_sheet(data: bytes, write_sheet) -> bytes:
    """A copy of the workbook ``data`` whose first sheet's XML ``write_sheet(stream)`` writes."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst,
    ):
        for info in src.infolist():
            if info.filename == _SHEET:
                with dst.open(_SHEET, "w", force_zip64=True) as stream:
                    write_sheet(stream)
            else:
                dst.writestr(info, src.read(info))
    return out.getvalue()


def _inflating(data: bytes) -> bytes:
    """A sheet whose XML inflates past the cap: the same row, over and over."""
    chunk = (b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>") * 64

    def write(stream) -> None:
        stream.write(
            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        )
        stream.write(b"<sheetData>")
        written = 0
        while written <= MAX_SHEET_BYTES + 2**20:
            written += stream.write(chunk * 64)
        stream.write(b"</sheetData></worksheet>")

    return _replace_sheet(data, write)


def _wide(data: bytes) -> bytes:
    """A tiny sheet of 8,000 empty rows that declares A1:XFD8000 (openpyxl padded every row
    to 16,384 cells: 1 GB)."""
    with zipfile.ZipFile(io.BytesIO(data)) as src:
        xml = src.read(_SHEET)
    xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD8000"', xml)
    empty = b"".join(b'<row r="%d"/>' % n for n in range(3, 8001))
    xml = xml.replace(b"</sheetData>", empty + b"</sheetData>")
    return _replace_sheet(data, lambda stream: stream.write(xml))


def _peak_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM, the peak resident size


def _peak_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024


def _signed_in(base: str, username: str) -> tuple[requests.Session, str]:
    browser = requests.Session()
    token = _TOKEN.search(browser.get(f"{base}/console/sign-in", timeout=10).text).group(1)
    data = {"username": username, "password": PASSWORD, "csrf_token": token}
    answer = browser.post(f"{base}/console/sign-in", data=data, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text[:300]
    token = _TOKEN.search(browser.get(f"{base}/console/roster", timeout=10).text).group(1)
    return browser, token


@pytest.mark.parametrize(
    ("make", "message"),
    [(_inflating, "解压后有"), (_wide, "A1:XFD8000")],
    ids=["inflating-sheet", "declared-XFD8000"],
)
def test_a_bomb_is_refused_without_memory_or_delay(world, session, app, live_server, make, message):
    bomb = make(xlsx_bytes([row(1)]))
    assert len(bomb) < 4 * 2**20  # a small upload
    username, tablet = world.sup_a.username, world.adv_a.username
    session.commit()
    app.config["SESSION_COOKIE_SECURE"] = False  # plain HTTP on 127.0.0.1
    browser, token = _signed_in(live_server, username)
    start = threading.Barrier(2)
    answers: dict[str, object] = {}

    def upload() -> None:
        start.wait(10)
        files = {"file": ("roster.xlsx", bomb)}
        answers["upload"] = browser.post(
            f"{live_server}/console/roster", data={"csrf_token": token}, files=files, timeout=60
        )

    before = _rss_mb()
    _peak_reset()
    uploader = threading.Thread(target=upload)
    uploader.start()
    start.wait(10)
    began = time.monotonic()
    signed = requests.post(
        f"{live_server}/api/v1/auth/token",
        json={"username": tablet, "password": PASSWORD, "device_id": "bomb-test"},
        timeout=30,
    )
    answer_s = time.monotonic() - began
    uploader.join(60)
    growth = _peak_mb() - before
    page = answers["upload"]
    assert page.status_code == 400 and message in page.text, page.text[-800:]
    assert signed.status_code == 201 and answer_s < MAX_ANSWER_S, (signed.status_code, answer_s)
    assert growth < MAX_GROWTH_MB, f"the server grew by {growth:.0f} MB"
    print(
        f"{make.__name__}: {len(bomb)} bytes, peak growth {growth:.1f} MB, sign-in {answer_s:.3f} s"
    )
