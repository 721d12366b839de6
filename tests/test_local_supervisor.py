"""The supervision `make run` uses (scripts/local_supervisor.py), with small stand-in programs."""

import os
import signal
import subprocess
import sys
import threading
from io import StringIO

import pytest

from scripts.local_supervisor import Program, Supervisor, follow_logs, status_lines
from testkit.processes import REPO_ROOT
from testkit.supervised import wait_for

STEADY = "import sys, time; print('up', flush=True); time.sleep(600)"
CRASHING = "import sys; print('crashing', flush=True); sys.exit(3)"


@pytest.fixture
def supervisor(tmp_path):
    programs = [
        Program("steady", [sys.executable, "-c", STEADY], tmp_path),
        Program("neighbour", [sys.executable, "-c", STEADY], tmp_path),
        Program("crashing", [sys.executable, "-c", CRASHING], tmp_path, autostart=False),
    ]
    running = Supervisor(tmp_path / "supervisor", programs)
    running.start(os.environ)
    yield running
    running.shutdown()


def state(supervisor: Supervisor, name: str) -> str:
    return str(supervisor.states()[name]["statename"])


def test_a_killed_program_is_restarted_and_the_others_keep_running(supervisor):
    wait_for(lambda: state(supervisor, "steady") == "RUNNING", timeout=20, what="steady running")
    killed, neighbour = supervisor.pid("steady"), supervisor.pid("neighbour")
    out, stop = StringIO(), threading.Event()
    follower = threading.Thread(target=follow_logs, args=(supervisor.log_dir, ["steady"], stop, out))
    follower.start()
    try:
        os.kill(killed, signal.SIGKILL)
        wait_for(lambda: supervisor.pid("steady") not in (0, killed), timeout=20, what="steady restarted")
        # The replacement's output reaches the prefixed stream `make run` prints.
        wait_for(lambda: "steady | up" in out.getvalue(), timeout=20, what="prefixed line")
    finally:
        stop.set()
        follower.join(5)
    assert supervisor.pid("neighbour") == neighbour
    log = (supervisor.log_dir / "supervisord.log").read_text()
    assert "exited: steady (terminated by SIGKILL; not expected)" in log
    wait_for(lambda: state(supervisor, "steady") == "RUNNING", timeout=20, what="steady running again")
    assert any(line.startswith("steady") and "RUNNING" in line for line in status_lines(supervisor.state_dir))


def test_a_program_failing_at_start_is_retried_with_backoff_and_its_exit_code_logged(supervisor):
    supervisor.start_program("crashing", wait=False)

    wait_for(lambda: state(supervisor, "crashing") == "BACKOFF", timeout=20, what="crashing in backoff")
    log = (supervisor.log_dir / "supervisord.log").read_text()
    assert "exited: crashing (exit status 3; not expected)" in log
    assert "crashing" in (supervisor.log_dir / "crashing.log").read_text()


def test_shutdown_stops_every_program(supervisor):
    wait_for(lambda: state(supervisor, "neighbour") == "RUNNING", timeout=20, what="neighbour running")
    pids = [supervisor.pid("steady"), supervisor.pid("neighbour")]
    supervisor.shutdown()

    assert not supervisor.is_running()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert status_lines(supervisor.state_dir)[0].startswith("the local stack is not running")


def test_when_the_starting_process_is_killed_the_supervisor_stops_everything(tmp_path):
    """`make run` killed with kill -9 (no Ctrl-C, no clean-up code runs) leaves nothing behind."""
    starter = f"""
import os, sys, time
from pathlib import Path
from scripts.local_supervisor import Program, Supervisor
steady = Program("steady", [sys.executable, "-c", {STEADY!r}], Path("."))
supervisor = Supervisor(Path({str(tmp_path / "supervisor")!r}), [steady])
supervisor.start(os.environ)
while supervisor.states()["steady"]["statename"] != "RUNNING":
    time.sleep(0.1)
print(supervisor.pid("steady"), flush=True)
time.sleep(600)
"""
    parent = subprocess.Popen(
        [sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True, cwd=REPO_ROOT
    )
    assert parent.stdout is not None
    program_pid = int(parent.stdout.readline())
    pids = [int((tmp_path / "supervisor" / "supervisord.pid").read_text()), program_pid]
    parent.kill()
    parent.wait()

    def gone(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split(") ", 1)[1][0] == "Z"
        except FileNotFoundError:
            return True

    wait_for(lambda: all(gone(pid) for pid in pids), timeout=30, what="supervisord and its program gone")
