"""A circuit breaker for calls to another service: fail fast while it is down or hung, test it now and then.

closed: every call goes through; ``failure_threshold`` consecutive failures open the breaker.
open: calls are refused at once (``CircuitOpenError``) for ``cooldown_seconds``.
half_open: after the cool-down one call goes through as a test; its success closes the breaker, its
failure opens it again for another cool-down. Other calls are refused while the test is in flight.

State lives in one process and one event loop (no locks needed: nothing here awaits). Its state is
exported to Prometheus by ``BreakerCollector``.
"""

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from enum import Enum

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)


class BreakerState(Enum):
    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitOpenError(Exception):
    """The breaker refused the call without trying: the dependency failed recently."""

    def __init__(self, dependency: str, retry_after_seconds: float):
        super().__init__(f"{dependency} is failing; calls paused for {retry_after_seconds:.0f} s")
        self.dependency = dependency
        self.retry_after_seconds = retry_after_seconds


class CircuitBreaker:
    """Call ``before_call()`` before each call (raises CircuitOpenError when refused), then exactly one
    of ``record_success()`` or ``record_failure()`` for a call that went through."""

    def __init__(
        self,
        dependency: str,
        *,
        failure_threshold: int = 3,
        cooldown_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        if failure_threshold < 1 or cooldown_seconds <= 0:
            raise ValueError("failure_threshold must be at least 1 and cooldown_seconds positive")
        self.dependency = dependency
        self._failure_threshold = failure_threshold
        self._cooldown_seconds = cooldown_seconds
        self._clock = clock
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._opened_at = 0.0
        self._trial_in_flight = False
        self.refused_calls = 0
        self.times_opened = 0

    @property
    def state(self) -> BreakerState:
        """The state as seen now (an open breaker whose cool-down has passed reads as half-open)."""
        if self._state is BreakerState.OPEN and self._cooldown_left() <= 0:
            return BreakerState.HALF_OPEN
        return self._state

    @property
    def is_open(self) -> bool:
        """True while calls are refused (open and cooling down)."""
        return self.state is BreakerState.OPEN

    def _cooldown_left(self) -> float:
        return self._opened_at + self._cooldown_seconds - self._clock()

    def before_call(self) -> None:
        """Let the call through, or raise CircuitOpenError."""
        state = self.state
        if state is BreakerState.CLOSED:
            return
        if state is BreakerState.HALF_OPEN and not self._trial_in_flight:
            self._state = BreakerState.HALF_OPEN
            self._trial_in_flight = True
            logger.info("circuit half-open: one test call", extra={"dependency": self.dependency})
            return
        self.refused_calls += 1
        raise CircuitOpenError(self.dependency, max(self._cooldown_left(), 1.0))

    def record_success(self) -> None:
        if self._state is not BreakerState.CLOSED:
            logger.info("circuit closed: dependency answers again", extra={"dependency": self.dependency})
        self._state = BreakerState.CLOSED
        self._consecutive_failures = 0
        self._trial_in_flight = False

    def record_failure(self) -> None:
        self._consecutive_failures += 1
        if self._state is BreakerState.HALF_OPEN or self._consecutive_failures >= self._failure_threshold:
            if self._state is not BreakerState.OPEN:
                self.times_opened += 1
                logger.warning(
                    "circuit open: calls paused",
                    extra={
                        "dependency": self.dependency,
                        "consecutive_failures": self._consecutive_failures,
                        "cooldown_seconds": self._cooldown_seconds,
                    },
                )
            self._state = BreakerState.OPEN
            self._opened_at = self._clock()
        self._trial_in_flight = False

    def release_trial(self) -> None:
        """The call let through was cancelled before it could tell: let another one test."""
        self._trial_in_flight = False

    @contextlib.contextmanager
    def guard(self, failure_types: tuple[type[BaseException], ...]) -> Iterator[None]:
        """Wrap one call: refused while open; an exception of ``failure_types`` counts as a failure,
        any other exception as an answer (the dependency is up), a cancellation as neither."""
        self.before_call()
        try:
            yield
        except failure_types:
            self.record_failure()
            raise
        except Exception:
            self.record_success()
            raise
        except BaseException:
            self.release_trial()
            raise
        else:
            self.record_success()


class BreakerCollector(Collector):
    """Prometheus metrics of some breakers, read at scrape time:
    ``circuit_breaker_state{dependency}`` (0 closed, 1 open, 2 half-open),
    ``circuit_breaker_refused_calls_total{dependency}`` and ``circuit_breaker_opened_total{dependency}``."""

    def __init__(self, breakers: Iterable[CircuitBreaker]):
        self._breakers = list(breakers)

    def collect(self) -> Iterator[Metric]:
        state = GaugeMetricFamily(
            "circuit_breaker_state",
            "State of the circuit breaker in front of a dependency: 0 closed, 1 open, 2 half-open",
            labels=["dependency"],
        )
        refused = CounterMetricFamily(
            "circuit_breaker_refused_calls",
            "Calls refused at once because the breaker was open",
            labels=["dependency"],
        )
        opened = CounterMetricFamily(
            "circuit_breaker_opened", "Times the breaker opened", labels=["dependency"]
        )
        for breaker in self._breakers:
            state.add_metric([breaker.dependency], breaker.state.value)
            refused.add_metric([breaker.dependency], breaker.refused_calls)
            opened.add_metric([breaker.dependency], breaker.times_opened)
        yield state
        yield refused
        yield opened
