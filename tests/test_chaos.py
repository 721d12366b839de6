"""Chaos: under a steady write load, kill -9 each service and the database, and freeze inference.

The stack runs under the same supervisor as `make run` (scripts/local_supervisor.py), which must bring
each killed process back by itself. Every time: no acknowledged write is lost. `make load` with
LOAD_MODE=chaos does the same for longer and reports the figures (docs/chaos.md).
"""

import signal
import time

import httpx
import pytest

from testkit.supervised import SupervisedStack, WriteLoad, wait_for

# The target is 15 s (README, measured by `make load`); the tests allow twice that on a loaded machine.
RECOVERY_LIMIT_SECONDS = 30
LOAD_SECONDS_AROUND_A_FAULT = 1.0


@pytest.fixture(scope="module")
def chaos_stack(tmp_path_factory, model_path):
    stack = SupervisedStack(
        tmp_path_factory.mktemp("chaos"),
        model_path,
        # The completer and the breaker on a shorter clock than production, so that the test is short.
        extra_env={
            "CUSTOMERS_PENDING_RETRY_INTERVAL_SECONDS": "1",
            "CUSTOMERS_INFERENCE_BREAKER_COOLDOWN_SECONDS": "3",
        },
    )
    try:
        yield stack.start()
    finally:
        stack.close()


@pytest.fixture
def chaos_owner(chaos_stack):
    """An owner per test: its writes are read back page by page."""
    return chaos_stack.create_user()


def under_load(stack: SupervisedStack, owner, fault) -> WriteLoad:
    load = WriteLoad(stack.urls["customers"], owner, writers=4).start()
    try:
        time.sleep(LOAD_SECONDS_AROUND_A_FAULT)
        fault()
        time.sleep(LOAD_SECONDS_AROUND_A_FAULT)
    finally:
        load.stop()
    return load


@pytest.mark.parametrize("name", ["customers", "inference", "auth", "postgres"])
def test_a_killed_process_is_restarted_and_no_acknowledged_write_is_lost(chaos_stack, chaos_owner, name):
    others = {other: chaos_stack.pid(other) for other in ("postgres", "auth", "customers", "inference")}
    del others[name]

    def kill_and_wait() -> None:
        old_pid = chaos_stack.kill(name)
        chaos_stack.wait_until_recovered(name, old_pid, timeout=RECOVERY_LIMIT_SECONDS)

    load = under_load(chaos_stack, chaos_owner, kill_and_wait)

    assert load.acknowledged_count() > 0
    assert load.lost_writes() == []
    # The others kept running, untouched: the supervisor restarted only what was killed.
    assert {other: chaos_stack.pid(other) for other in others} == others
    states = chaos_stack.supervisor.states()
    assert {info["statename"] for info in states.values()} == {"RUNNING"}


def test_writes_stay_fast_while_inference_is_frozen_and_complete_after(chaos_stack, chaos_owner):
    customers = chaos_stack.urls["customers"]
    baseline = WriteLoad(customers, chaos_owner, writers=2).start()
    time.sleep(LOAD_SECONDS_AROUND_A_FAULT)
    baseline.stop()

    pid = chaos_stack.kill("inference", signal.SIGSTOP)  # alive, accepting connections, never answering
    try:
        frozen = WriteLoad(customers, chaos_owner, writers=2).start()
        # The first calls wait out the inference timeout until the breaker opens; measure after that.
        wait_for(lambda: breaker_state(customers) != 0, timeout=20, what="breaker open")
        opened_at = time.monotonic()
        time.sleep(2 * LOAD_SECONDS_AROUND_A_FAULT)
        ready = httpx.get(customers + "/readyz", timeout=5)
        frozen.stop()
    finally:
        chaos_stack.kill("inference", signal.SIGCONT)
    assert chaos_stack.pid("inference") == pid

    # Customers stays in service and says what is missing.
    assert ready.status_code == 200
    assert ready.json()["checks"]["inference"] == "unavailable"
    assert frozen.lost_writes() == []
    statuses = {status for started, _, status in frozen.latencies if started >= opened_at}
    assert statuses <= {200, 201}
    # Not waiting on inference: about as fast as with inference answering (its timeout is 2 s).
    assert frozen.median_latency(since=opened_at) < 3 * baseline.median_latency() + 0.1

    with httpx.Client(base_url=customers, headers=chaos_owner.headers, timeout=10) as client:

        def no_pending_left() -> bool:
            return client.get("/dashboard").json()["pending_predictions"] == 0

        wait_for(no_pending_left, timeout=60, what="pending predictions completed")
    assert breaker_state(customers) == 0


def breaker_state(customers_url: str) -> float:
    """circuit_breaker_state{dependency="inference"}: 0 closed, 1 open, 2 half-open."""
    for line in httpx.get(customers_url + "/metrics", timeout=5).text.splitlines():
        if line.startswith('circuit_breaker_state{dependency="inference"}'):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no breaker state in /metrics")


def test_stopping_the_stack_leaves_no_process_behind(chaos_stack):
    for name in ("postgres", "auth", "customers", "inference"):
        chaos_stack.pid(name)
    chaos_stack.close()

    def alive(pid: int) -> bool:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                return stat.read().split(") ", 1)[1][0] != "Z"
        except FileNotFoundError:
            return False

    assert [pid for pid in chaos_stack.seen_pids if alive(pid)] == []
    assert not chaos_stack.supervisor.is_running()
