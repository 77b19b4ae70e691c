"""`kfeed sim`, `python -m kfeed.sim` and `kfeed sim-fault` as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from kfeed.sim import DEFAULT_KEY

KFEED = str(Path(sys.executable).with_name("kfeed"))
KEY = "l7xx" + "b" * 32


def start(command: list[str]) -> tuple[subprocess.Popen[str], str, float]:
    """Run a simulator command; return it with the URL line and the seconds it took to print it."""
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    return proc, line, time.monotonic() - started


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    return out, err


def get(url: str, key: str = KEY) -> dict:
    request = urllib.request.Request(url, headers={"apikey": key})
    with urllib.request.urlopen(request, timeout=5) as response:
        return json.loads(response.read())


@pytest.mark.parametrize("entry", [[KFEED, "sim"], [sys.executable, "-m", "kfeed.sim"]])
def test_sim_prints_one_url_line_and_serves(entry):
    proc, line, seconds = start([*entry, "--port", "0", "--seed", "7", "--speed", "1", "--start", "09:00:00",
                                 "--key", KEY])  # fmt: skip
    try:
        url = line.strip()
        assert url.startswith("http://127.0.0.1:") and seconds < 5
        assert get(url + "/v2/market/stocks/kospi/005930/price")["result"]["isuSrtCd"] == "005930"
    finally:
        out, err = stop(proc)
    assert out == "" and KEY not in err and KEY[4:] not in err


def test_sim_fault_cli_and_schedule():
    env = {**os.environ, "KFEED_SIM_KEY": DEFAULT_KEY}
    proc = subprocess.Popen([KFEED, "sim", "--port", "0", "--fault", "duplicate:2@0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        injected = subprocess.run([KFEED, "sim-fault", "--url", url, "rest_error", "503", "--count", "1"],
                                  capture_output=True, text=True, check=True)  # fmt: skip
        assert json.loads(injected.stdout)["details"] == {"status": 503, "count": 1}
        with pytest.raises(urllib.error.HTTPError) as failure:
            get(url + "/v2/market/stocks/kospi/005930/price", DEFAULT_KEY)
        assert failure.value.code == 503
        log = subprocess.run([KFEED, "sim-fault", "--url", url, "log"], capture_output=True, text=True, check=True)
        assert [entry["kind"] for entry in json.loads(log.stdout)] == ["duplicate", "rest_error"]
        refused = subprocess.run([KFEED, "sim-fault", "--url", url, "stall", "-1"], capture_output=True, text=True)
        assert refused.returncode == 1 and "stall" in refused.stdout
    finally:
        _, err = stop(proc)
    assert "fault injected: rest_error" in err and DEFAULT_KEY not in err


def test_bad_arguments_exit_2():
    result = subprocess.run([KFEED, "sim", "--start", "25:61:00"], capture_output=True, text=True, timeout=20)
    assert result.returncode == 2 and "start" in result.stderr and result.stdout == ""
