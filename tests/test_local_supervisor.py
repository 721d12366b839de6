"""The supervision `make run` uses (scripts/local_supervisor.py), with small stand-in programs."""

import os
import signal
import sys
import threading
from io import StringIO

import pytest

from scripts.local_supervisor import Program, Supervisor, follow_logs, status_lines
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
