"""The documents that name tests stay true: every test docs/reliability.md cites exists."""

import re

from .conftest import ROOT


def test_every_test_the_reliability_table_cites_exists() -> None:
    document = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    current, cited, missing = None, 0, []
    for reference in re.findall(r"`([^`]*test_\w+[^`]*)`", document):
        parts = reference.split("::")
        if parts[0].startswith("tests/"):
            current, names = parts[0], parts[1:]
        else:
            names = [part for part in parts if part]
        assert current is not None, reference
        source = (ROOT / current).read_text(encoding="utf-8")
        for name in names:
            name = re.sub(r"\[.*", "", name)
            cited += 1
            if not re.search(rf"def {re.escape(name)}\b", source):
                missing.append(f"{current}::{name}")
    assert cited > 40 and missing == []
