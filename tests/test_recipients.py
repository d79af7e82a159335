from datetime import timedelta
from pathlib import Path

import pytest

from vigil.errors import FileFormatError
from vigil.recipients import default_recipients, load_recipients
from vigil.rules import load_ruleset
from vigil.rules.model import Severity
from vigil.schedule import Every

from tests.conftest import RULES

GOOD = """\
defaults:
  timezone: Europe/Kyiv
  digest: daily 08:00
recipients:
  - id: turkey-desk
    name: Turkey desk
    email: [desk@example.org, "Editor <editor@example.org>"]
    timezone: Europe/Istanbul
    rules: ["mediation-*", turkish-mediation]
    tags: [drones]
    alerts: [high]
  - id: weekly-brief
    email: brief@example.org
    severity: medium
    alerts: []
    digest: weekly monday 07:00
    heartbeat: true
    backlog_days: 0
"""


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset(RULES)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipients.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_recipients_file_with_defaults_and_overrides(tmp_path: Path, ruleset) -> None:
    desk, brief = load_recipients(_write(tmp_path, GOOD), ruleset)
    assert desk.addresses == ("desk@example.org", "Editor <editor@example.org>")
    assert desk.zone.key == "Europe/Istanbul" and brief.zone.key == "Europe/Kyiv"
    assert desk.cadence.every is Every.DAY and str(brief.cadence) == "weekly monday 07:00"
    assert desk.alerts == {Severity.HIGH} and brief.alerts == frozenset()
    assert brief.heartbeat and brief.backlog == timedelta(0)
    assert desk.display_name == "Turkey desk" and brief.display_name == "weekly-brief"


def test_routing_by_rule_pattern_rule_tag_feed_tag_and_severity(tmp_path: Path, ruleset) -> None:
    desk, brief = load_recipients(_write(tmp_path, GOOD), ruleset)
    rules = {rule.id: rule for rule in ruleset.rules}
    # Patterns and exact ids.
    assert desk.follows(rules["mediation-rejected"]) and desk.follows(rules["turkish-mediation"])
    # A rule tag followed ("drones"), and one not followed.
    assert desk.follows(rules["bayraktar-tb2"])
    assert not desk.follows(rules["minsk-normandy"])
    # A feed tag followed brings in a rule the recipient does not name.
    assert desk.follows(rules["minsk-normandy"], item_tags=("drones",))
    # No rules or tags: every rule at or above the lowest severity.
    assert brief.follows(rules["minsk-normandy"]) and brief.follows(rules["nato-red-lines"])
    assert set(desk.candidate_rules(ruleset)) == set(rules)  # a tag can bring any rule
    assert desk.is_alert(rules["nato-red-lines"]) and not desk.is_alert(rules["bayraktar-tb2"])


def test_lowest_severity_filters_rules_out(tmp_path: Path, ruleset) -> None:
    text = "recipients:\n  - id: high-only\n    email: a@example.org\n    severity: high\n"
    (only,) = load_recipients(_write(tmp_path, text), ruleset)
    chosen = only.candidate_rules(ruleset)
    assert "nato-red-lines" in chosen and "bayraktar-tb2" not in chosen


@pytest.mark.parametrize(
    ("replace", "by", "problem"),
    [
        (
            "timezone: Europe/Istanbul",
            "timezone: Europe/Atlantis",
            ":8:15: recipients.0.timezone: unknown time zone",
        ),
        (
            "digest: weekly monday 07:00",
            "digest: fortnightly",
            ":16:13: recipients.1.digest: expected",
        ),
        (
            "digest: weekly monday 07:00",
            "digest: cron 0 25 * * *",
            ":16:13: recipients.1.digest: cron '0 25 * * *': Bad hour",
        ),
        ('"mediation-*"', '"mediaton-*"', ":9:14: recipients.0.rules: 'mediaton-*' names no rule"),
        (
            "brief@example.org",
            "not-an-address",
            ":13:12: recipients.1.email: Value error, 'not-an-address' is not an email address",
        ),
        ("    heartbeat: true", "    hearbeat: true", ":17:5: recipients.1.hearbeat: unknown key"),
        (
            "id: weekly-brief",
            "id: Weekly Brief",
            ":12:9: recipients.1.id: Value error, use lower-case",
        ),
        ("id: weekly-brief", "id: turkey-desk", "recipient ids must be unique: turkey-desk"),
        ("alerts: []", "alerts: [urgent]", ":15:14: recipients.1.alerts.0: Input should be"),
    ],
)
def test_problems_name_file_line_and_column(
    tmp_path: Path, ruleset, replace: str, by: str, problem: str
) -> None:
    assert replace in GOOD
    path = _write(tmp_path, GOOD.replace(replace, by, 1))
    with pytest.raises(FileFormatError) as caught:
        load_recipients(path, ruleset)
    assert any(line.startswith(str(path)) and problem in line for line in caught.value.problems), (
        caught.value.problems
    )


def test_a_cron_digest_is_a_schedule_a_heartbeat_can_ride(tmp_path: Path, ruleset) -> None:
    text = (
        "recipients:\n  - id: a\n    email: a@example.org\n"
        "    digest: cron 0 8,17 * * 1-5\n    heartbeat: true\n"
    )
    [recipient] = load_recipients(_write(tmp_path, text), ruleset)
    assert str(recipient.cadence) == "cron 0 8,17 * * 1-5" and recipient.heartbeat


def test_a_heartbeat_needs_a_schedule(tmp_path: Path, ruleset) -> None:
    text = (
        "recipients:\n  - id: a\n    email: a@example.org\n"
        "    digest: every run\n    heartbeat: true\n"
    )
    with pytest.raises(FileFormatError, match=r":5:16: recipients.0.heartbeat: a heartbeat needs"):
        load_recipients(_write(tmp_path, text), ruleset)


def test_without_a_recipients_file_one_reader_gets_everything_every_run() -> None:
    (only,) = default_recipients(["a@example.org", "b@example.org"])
    assert only.id == "default" and only.addresses == ("a@example.org", "b@example.org")
    assert only.cadence.every is Every.RUN and not only.alerts


def test_the_shipped_example_recipients_file_is_valid(ruleset) -> None:
    path = RULES.parent / "deployments" / "recipients.yaml"
    ids = [recipient.id for recipient in load_recipients(path, ruleset)]
    assert ids == ["ankara-desk", "kyiv-bureau", "weekly-brief"]


def test_tags_fold_case_like_rule_terms(tmp_path: Path, ruleset) -> None:
    text = GOOD.replace("tags: [drones]", "tags: [Ukraine]")
    desk, _ = load_recipients(_write(tmp_path, text), ruleset, feed_tags=[])
    rules = {rule.id: rule for rule in ruleset.rules}
    minsk = rules["minsk-normandy"]
    assert "ukraine" in rules["arms-to-ukraine"].tags
    assert desk.follows(rules["arms-to-ukraine"])  # rule tag "ukraine", asked as "Ukraine"
    assert desk.follows(minsk, item_tags=("UKRAINE",))  # a feed tag from an OPML folder
    assert not desk.follows(minsk, item_tags=("russia",))


def test_a_tag_nothing_carries_is_an_error_at_its_line(tmp_path: Path, ruleset) -> None:
    path = _write(tmp_path, GOOD.replace("tags: [drones]", "tags: [drones, ukrane]"))
    with pytest.raises(FileFormatError) as caught:
        load_recipients(path, ruleset, feed_tags=["Kyiv"])
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}:10:20: recipients.0.tags: no rule or feed carries")
    assert "'ukrane'" in problem and "kyiv" in problem
    # A feed's tag counts, whatever its case.
    text = GOOD.replace("tags: [drones]", "tags: [drones, KYIV]")
    load_recipients(_write(tmp_path, text), ruleset, feed_tags=["Kyiv"])
