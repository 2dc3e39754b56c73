"""The Redis circuit breaker's rules, with a fake clock."""

from config.circuit import CircuitBreaker


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock) -> CircuitBreaker:
    return CircuitBreaker("test", failures_to_open=2, open_seconds=5.0, clock=clock)


def test_it_stays_closed_below_the_failure_count():
    circuit = breaker(Clock())

    circuit.failure()

    assert circuit.state == "closed"
    assert circuit.allow()


def test_consecutive_failures_open_it_and_calls_are_refused():
    circuit = breaker(Clock())

    circuit.failure()
    circuit.failure()

    assert circuit.state == "open"
    assert not circuit.allow()


def test_a_success_between_failures_starts_the_count_again():
    circuit = breaker(Clock())

    circuit.failure()
    circuit.success()
    circuit.failure()

    assert circuit.state == "closed"


def test_a_timeout_opens_it_at_once():
    circuit = breaker(Clock())

    circuit.failure(at_once=True)

    assert circuit.state == "open"


def test_after_the_open_period_trials_go_through_and_a_success_closes_it():
    clock = Clock()
    circuit = breaker(clock)
    circuit.failure(at_once=True)

    clock.now += 5.0

    assert circuit.state == "half-open"
    assert circuit.allow()
    circuit.success()
    assert circuit.state == "closed"


def test_a_failed_trial_opens_it_for_another_period():
    clock = Clock()
    circuit = breaker(clock)
    circuit.failure(at_once=True)
    clock.now += 5.0

    circuit.failure()

    assert circuit.state == "open"
    clock.now += 4.9
    assert not circuit.allow()
