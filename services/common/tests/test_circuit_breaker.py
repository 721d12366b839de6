"""The circuit breaker's states, with a clock the tests move, and its Prometheus metrics."""

import asyncio

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from spendscore_common.circuit_breaker import (
    BreakerCollector,
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Down(Exception):
    pass


class Refused(Exception):
    pass


def call(breaker: CircuitBreaker, outcome: type[Exception] | None = None) -> None:
    with breaker.guard(failure_types=(Down,)):
        if outcome is not None:
            raise outcome()


def fail(breaker: CircuitBreaker, times: int) -> None:
    for _ in range(times):
        with pytest.raises(Down):
            call(breaker, Down)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def breaker(clock: FakeClock) -> CircuitBreaker:
    return CircuitBreaker("inference", failure_threshold=3, cooldown_seconds=10, clock=clock)


def test_opens_after_consecutive_failures_only(breaker):
    fail(breaker, 2)
    call(breaker)  # a success in between starts the count again
    fail(breaker, 2)
    assert breaker.state is BreakerState.CLOSED
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN

    with pytest.raises(CircuitOpenError) as refused:
        call(breaker)
    assert refused.value.retry_after_seconds == pytest.approx(10)
    assert breaker.refused_calls == 1


def test_an_answer_that_is_not_a_failure_keeps_it_closed(breaker):
    for _ in range(5):
        with pytest.raises(Refused):
            call(breaker, Refused)  # e.g. a 4xx: the dependency is up and answering
    assert breaker.state is BreakerState.CLOSED


def test_half_open_lets_one_test_call_through_and_closes_on_success(breaker, clock):
    fail(breaker, 3)
    clock.now += 10
    assert breaker.state is BreakerState.HALF_OPEN
    with breaker.guard(failure_types=(Down,)):
        # While the test call is in flight, every other call is refused.
        with pytest.raises(CircuitOpenError):
            call(breaker)
    assert breaker.state is BreakerState.CLOSED
    call(breaker)


def test_a_failed_test_call_opens_it_for_another_cooldown(breaker, clock):
    fail(breaker, 3)
    clock.now += 11
    fail(breaker, 1)
    assert breaker.state is BreakerState.OPEN
    clock.now += 9
    with pytest.raises(CircuitOpenError):
        call(breaker)
    clock.now += 1
    call(breaker)
    assert breaker.state is BreakerState.CLOSED


async def test_a_cancelled_test_call_lets_the_next_one_test(breaker, clock):
    fail(breaker, 3)
    clock.now += 10

    async def hung_call() -> None:
        with breaker.guard(failure_types=(Down,)):
            await asyncio.sleep(60)

    task = asyncio.create_task(hung_call())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    call(breaker)
    assert breaker.state is BreakerState.CLOSED


def test_metrics_show_state_refusals_and_openings(breaker, clock):
    registry = CollectorRegistry()
    registry.register(BreakerCollector([breaker]))
    fail(breaker, 3)
    with pytest.raises(CircuitOpenError):
        call(breaker)
    text = generate_latest(registry).decode()
    assert 'circuit_breaker_state{dependency="inference"} 1.0' in text
    assert 'circuit_breaker_refused_calls_total{dependency="inference"} 1.0' in text
    assert 'circuit_breaker_opened_total{dependency="inference"} 1.0' in text
    clock.now += 10
    assert 'circuit_breaker_state{dependency="inference"} 2.0' in generate_latest(registry).decode()
