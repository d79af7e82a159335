"""One address per entry, with a real domain: what could go out as something else is refused
where it is written."""

import pytest
from pydantic import ValidationError

from vigil.addresses import check_address
from vigil.settings import Settings


@pytest.mark.parametrize(
    "value",
    ["ana@example.org", "Ana Analyst <ana@example.org>", "analyst@localhost",
     "Desk <desk@localhost>", "ana@münchen.de", "first.last+vigil@mail.example.co.uk"],
)  # fmt: skip
def test_one_mailbox_is_accepted_as_written(value: str) -> None:
    assert check_address(value) == value


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("<a@b.c>, evil@x.y", "anything after"),  # two mailboxes as one
        ("a@b", "period"),  # no domain one could deliver to
        ("ana", "@-sign"),
        ("ana@example.org\r\nBcc: evil@x.y", "line break"),
        ("two words@localhost", "not an email address"),
        ("@localhost", "not an email address"),
    ],
)
def test_what_is_not_one_mailbox_is_refused_with_the_reason(value: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        check_address(value)


def test_settings_refuse_a_list_hidden_in_one_address(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VIGIL_MAIL_FROM", "<a@b.c>, evil@x.y")
    with pytest.raises(ValidationError, match="mail_from"):
        Settings(_env_file=None)
