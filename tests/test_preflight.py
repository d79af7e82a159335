"""What a run checks before Prefect starts: each unusable input named, warnings passed on."""

import shutil
from pathlib import Path

import pytest

from vigil.errors import FileFormatError, StoreError
from vigil.preflight import check_inputs
from vigil.settings import Settings

from tests.conftest import RULES, changed


def test_good_inputs_pass_and_give_the_checked_rules(settings: Settings) -> None:
    warnings: list[str] = []
    checked = check_inputs(settings, warn=warnings.append)
    assert {rule.id for rule in checked.ruleset.rules} >= {"bayraktar-tb2", "turkish-mediation"}
    assert checked.example_failures == [] and warnings == []


def test_a_rule_file_linked_from_outside_is_a_warning_not_a_stop(
    settings: Settings, tmp_path: Path
) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(RULES, rules)
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text("rules: []\n", encoding="utf-8")
    (rules / "linked.yaml").symlink_to(outside)
    warnings: list[str] = []
    check_inputs(changed(settings, rules=rules), warn=warnings.append)
    assert len(warnings) == 1 and "linked.yaml" in warnings[0]


def test_a_broken_feeds_file_is_named_before_the_state_folder_is_touched(
    settings: Settings, tmp_path: Path
) -> None:
    feeds = tmp_path / "feeds.yaml"
    feeds.write_text("feeds:\n  - name: X\n    url: ftp://nope\n", encoding="utf-8")
    with pytest.raises(FileFormatError, match=r"feeds\.yaml:3"):
        check_inputs(changed(settings, feeds=feeds), warn=print)
    assert not settings.home.exists()


def test_a_state_folder_vigil_cannot_write_is_a_store_error(
    settings: Settings, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError, match="is not a folder vigil may write to"):
        check_inputs(changed(settings, home=blocker / "home"), warn=print)
