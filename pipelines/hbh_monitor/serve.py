"""Serve the dashboards and the Dagster UI side by side, as `make demo` does; Ctrl-C or SIGTERM stops both.

    python -m hbh_monitor.serve --dashboard-port 8501 --dagster-port 3000 --dagster-log data/dagster_dev.log

Why not two shell jobs (`dagster dev & streamlit run`): a job started with `&` by a non-interactive shell
ignores SIGINT, and `dagster dev` handles SIGTERM with whatever SIGINT's handler is, so it then ignored
both and had to be killed with SIGKILL, leaving its webserver and daemon behind. Here the children are
started after this process has installed its own SIGINT/SIGTERM handlers, so they begin with SIGINT at
its default (exec resets handled signals), each in its own process group (a Ctrl-C reaches them once,
from here), and are stopped with one SIGINT: `dagster dev` then shuts its webserver and daemon down.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STOP_TIMEOUT_S = 30


def _start(cmd: list[str], log: Path | None) -> subprocess.Popen:
    out = open(log, "ab") if log else None  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT if out else None,
                            process_group=0)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dashboard-port", type=int, default=8501)
    ap.add_argument("--dagster-port", type=int, default=3000)
    ap.add_argument("--dagster-log", type=Path, help="file for the Dagster output (default: this terminal)")
    args = ap.parse_args(argv)

    bin_dir = Path(sys.executable).parent
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the children start: see the module docstring
        signal.signal(sig, lambda *_: stop.set())

    dagster = _start([str(bin_dir / "dagster"), "dev", "-w", "workspace.yaml", "-p", str(args.dagster_port)],
                     args.dagster_log)
    dashboards = _start([str(bin_dir / "streamlit"), "run", "dashboards/app.py",
                         "--server.port", str(args.dashboard_port)], None)
    procs = {"dagster dev": dagster, "streamlit": dashboards}
    while not stop.wait(1):
        ended = [name for name, p in procs.items() if p.poll() is not None]
        if ended:
            print(f"{ended[0]} stopped (exit code {procs[ended[0]].returncode}); stopping the rest.", file=sys.stderr)
            break
    for proc in (dashboards, dagster):
        _stop(proc)
    print("Dashboards and Dagster stopped.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
