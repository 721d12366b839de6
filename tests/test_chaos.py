"""Chaos: under a steady write load, kill -9 each service and the database, and freeze inference.

The stack runs under the same supervisor as `make run` (scripts/local_supervisor.py), which must bring
each killed process back by itself. Every time: no acknowledged write is lost. `make load` with
LOAD_MODE=chaos does the same for longer and reports the figures (docs/chaos.md). Not in `make test`
(it is slow): `make test-chaos` runs it.
"""

import asyncio
import signal
import threading
import time
import uuid

import asyncpg
import httpx
import pytest

from testkit.supervised import SupervisedStack, WriteLoad, wait_for

pytestmark = pytest.mark.slow  # `make test-chaos`: about 2 minutes of kills and restarts

# The target; `LOAD_MODE=chaos make load` measures it for longer (docs/chaos.md).
RECOVERY_LIMIT_SECONDS = 15
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
    # While a process is away: connection errors (0) or 503 with Retry-After, never a 500.
    assert {status for _, _, status in load.latencies} <= {0, 200, 201, 503}
    # The others kept running, untouched: the supervisor restarted only what was killed.
    assert {other: chaos_stack.pid(other) for other in others} == others
    states = chaos_stack.supervisor.states()
    assert {info["statename"] for info in states.values()} == {"RUNNING"}


IMPORT_ROWS = 10_000
IMPORT_CSV = (
    "name,gender,age,annual_income\n"
    + "".join(
        f"Import {index},{'fm'[index % 2]},{18 + index % 60},{15 + index % 120}\n"
        for index in range(IMPORT_ROWS)
    )
).encode()


def test_customers_killed_during_an_import_keeps_all_or_none_of_it(chaos_stack, chaos_owner):
    importer = chaos_stack.create_user()
    database_url = chaos_stack.postgres.url("chaos_customers")
    answers: list[object] = []

    def upload() -> None:
        try:
            answers.append(
                httpx.post(
                    chaos_stack.urls["customers"] + "/customers/import",
                    files={"file": ("big.csv", IMPORT_CSV, "text/csv")},
                    headers=importer.headers,
                    timeout=120,
                )
            )
        except httpx.TransportError as exc:
            answers.append(exc)

    def kill_during_the_import() -> None:
        uploading = threading.Thread(target=upload)
        uploading.start()
        # Kill as soon as the import writes (a COPY is running); a fast import may be done first.
        wait_for(lambda: not uploading.is_alive() or asyncio.run(_copy_running(database_url)), timeout=120,
                 what="the import writing", interval=0.01)  # fmt: skip
        old_pid = chaos_stack.kill("customers")
        uploading.join(120)
        chaos_stack.wait_until_recovered("customers", old_pid, timeout=RECOVERY_LIMIT_SECONDS)

    load = under_load(chaos_stack, chaos_owner, kill_during_the_import)

    assert load.lost_writes() == []
    stored, without_prediction = wait_for(
        lambda: asyncio.run(_import_state(database_url, importer.id)), timeout=30, what="transactions ended"
    )
    assert (stored, without_prediction) in ((0, 0), (IMPORT_ROWS, 0))
    if isinstance(answers[0], httpx.Response) and answers[0].status_code == 201:
        assert stored == IMPORT_ROWS  # acknowledged, so all of it
    # Whatever the client saw, sending the file again leaves it stored exactly once.
    retried = httpx.post(
        chaos_stack.urls["customers"] + "/customers/import",
        files={"file": ("big.csv", IMPORT_CSV, "text/csv")},
        headers=importer.headers,
        timeout=120,
    )
    assert retried.status_code == 201, retried.text
    assert asyncio.run(_import_state(database_url, importer.id)) == (IMPORT_ROWS, 0)


async def _copy_running(database_url: str) -> bool:
    connection = await asyncpg.connect(database_url)
    try:
        running = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query ILIKE 'COPY%'"
        )
        return bool(running)
    finally:
        await connection.close()


async def _import_state(database_url: str, owner_id: str) -> tuple[int, int] | None:
    """(customers of the owner, those without a latest prediction), once no write of the killed
    process is still open; None until then."""
    connection = await asyncpg.connect(database_url)
    try:
        open_writes = await connection.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND state = 'active' AND query ILIKE 'COPY%'"
        )
        if open_writes:
            return None
        row = await connection.fetchrow(
            "SELECT count(*) AS customers, count(*) FILTER (WHERE p.id IS NULL) AS orphans FROM customer c "
            "LEFT JOIN prediction p ON p.id = c.latest_prediction_id WHERE c.owner_id = $1",
            uuid.UUID(owner_id),
        )
        assert row is not None
        return int(row["customers"]), int(row["orphans"])
    finally:
        await connection.close()


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
