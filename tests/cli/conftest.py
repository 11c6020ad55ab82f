"""The smscast command run as a real process against this test's database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def smscast(tmp_path: Path, database_url: str):
    env = {
        **os.environ,
        "SMSCAST_DATABASE_URL": database_url,
        "SMSCAST_SECRET_HASH_TIME_COST": "1",
        "SMSCAST_SECRET_HASH_MEMORY_KIB": "8",
    }
    env.pop("SMSCAST_CONFIG", None)

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "smscast", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=60,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    return run
