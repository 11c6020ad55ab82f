"""`smscast serve` on the embedded default: a fresh directory, real HTTP, real tokens."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_serve_from_an_empty_directory(tmp_path: Path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("SMSCAST_")} | {
        "SMSCAST_SECRET_HASH_TIME_COST": "1",
        "SMSCAST_SECRET_HASH_MEMORY_KIB": "8",
    }
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "smscast", "serve", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.communicate()[1]
            assert time.monotonic() < deadline, "server did not come up"
            time.sleep(0.1)
        assert (tmp_path / "smscast.db").exists()
        created = subprocess.run(
            [
                sys.executable,
                "-m",
                "smscast",
                "account",
                "create",
                "demo",
                "--balance",
                "100",
                "--json",
            ],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        creds = json.loads(created.stdout)
        token = httpx.post(
            f"{base}/oauth/token",
            data={"grant_type": "client_credentials", "scope": ""},
            auth=(creds["applicationId"], creds["applicationSecret"]),
        ).json()["access_token"]
        balance = httpx.get(
            f"{base}/accounts/me/balance", headers={"Authorization": f"Bearer {token}"}
        )
        assert balance.json()["balance"] == 100
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert "action=http method=GET path=/accounts/me/balance status=200" in stderr
