"""`make demo` serves the dashboards and the Dagster UI with `python -m hbh_monitor.serve`: both really
start, and one SIGTERM (or Ctrl-C) stops every process it started, Dagster's webserver and daemon included.

Started the way a background job of a non-interactive shell starts (SIGINT ignored): that is how
`dagster dev` came to ignore SIGTERM before."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from conftest import ROOT, run_env

import e2e  # tests/e2e.py


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status
    except OSError:
        return 0


def test_serve_starts_both_and_one_sigterm_stops_everything(tmp_path):
    env = run_env(tmp_path / "data")
    dash_port, dagster_port = e2e.free_port(), e2e.free_port()
    log = tmp_path / "dagster_dev.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "hbh_monitor.serve", "--dashboard-port", str(dash_port),
         "--dagster-port", str(dagster_port), "--dagster-log", str(log)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),  # as `cmd &` in a script
    )
    started: set[int] = set()
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if (_get(f"http://127.0.0.1:{dash_port}/_stcore/health") == 200
                    and _get(f"http://127.0.0.1:{dagster_port}/server_info") == 200):
                break
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
            time.sleep(1)
        else:
            raise AssertionError(f"not both up in 120 s; Dagster log:\n{log.read_text()[-3000:]}")
        started = _descendants(proc.pid)
        # dagster dev, its webserver and daemon (and code server), and streamlit
        assert len(started) >= 4, started

        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=90) == 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(_alive(p) for p in started):
            time.sleep(0.5)
        assert not [p for p in started if _alive(p)], "processes left running after SIGTERM"
        assert "Dashboards and Dagster stopped." in proc.stdout.read().decode(errors="replace")
    finally:  # never leave servers behind, whatever failed
        leftovers = started | _descendants(proc.pid)
        if proc.poll() is None:
            proc.kill()
        for p in leftovers:
            if _alive(p):
                subprocess.run(["kill", "-9", str(p)], check=False)
