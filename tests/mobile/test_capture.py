"""The app's tests run with pytest's capture off (``-s``) too: Kivy must not take stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
# A test whose setup logs (the live server's migrations): that is where -s used to die.
ONE_TEST = (
    "tests/mobile/test_viewmodels.py::test_sign_in_with_a_wrong_password_keeps_waiting_records"
)


@pytest.mark.timeout(240)
def test_mobile_tests_pass_with_pytest_s():
    env = dict(os.environ)
    # SQLite in the child: it must not create or drop tables in this run's database.
    env.pop("TANFANG_TEST_DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", ONE_TEST],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=200,
    )
    assert result.returncode == 0, (result.stdout[-4000:], result.stderr[-2000:])
    assert "RecursionError" not in result.stdout + result.stderr
