"""A run reports how far it has read, source by source, to whoever listens in its process; a
listener that breaks is dropped and the run goes on."""

from vigil.monitor import Monitor
from vigil.pipeline import run_once
from vigil.pipeline.progress import RunProgress, listening
from vigil.settings import Settings


def test_a_run_reports_each_batch_and_ends_with_everything_read(settings: Settings) -> None:
    seen: list[RunProgress] = []
    monitor = Monitor(settings)
    with listening(seen.append):
        summary = run_once(monitor)
    monitor.close()
    assert seen, "no progress reported"
    assert [step.sources_done for step in seen] == sorted(step.sources_done for step in seen)
    last = seen[-1]
    assert last.sources_done == last.sources_total == len(summary.sources)
    assert last.new_items == summary.new_items > 0
    assert last.new_matches == sum(summary.matches_per_rule.values())


def test_a_broken_listener_never_stops_the_run(settings: Settings) -> None:
    calls = []

    def broken(step: RunProgress) -> None:
        calls.append(step)
        raise OSError("the terminal went away")

    monitor = Monitor(settings)
    with listening(broken):
        summary = run_once(monitor)
    monitor.close()
    assert summary.ok and len(calls) == 1  # dropped after its first failure
