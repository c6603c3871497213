"""Processes and run state: nothing left running or half-done (issue 15)."""

import os
import signal
import sys
import threading
import time
from pathlib import Path

from inference.demo_app import run_forwarding_signals


def _signal_once_started(started: Path, number: int) -> threading.Thread:
    """Sends `number` to this process once the child has written `started`."""

    def send() -> None:
        deadline = time.monotonic() + 60
        while not started.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(os.getpid(), number)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


def test_demo_launcher_passes_sigterm_and_sigint_to_streamlit_and_waits(tmp_path):
    handlers = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    for number in (signal.SIGTERM, signal.SIGINT):
        started, pid_file = tmp_path / f"started{number}", tmp_path / f"pid{number}"
        child = (
            "import os, pathlib, time\n"
            f"pathlib.Path({str(pid_file)!r}).write_text(str(os.getpid()))\n"
            f"pathlib.Path({str(started)!r}).touch()\n"
            "time.sleep(120)\n"
        )
        sender = _signal_once_started(started, number)
        began = time.monotonic()
        status = run_forwarding_signals([sys.executable, "-c", child])
        sender.join()
        assert status == 128 + number
        assert time.monotonic() - began < 60
        pid = int(pid_file.read_text())
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            pass
        else:
            raise AssertionError(f"the child {pid} still runs after the launcher got signal {number}")
    assert {number: signal.getsignal(number) for number in handlers} == handlers  # the launcher's are put back
