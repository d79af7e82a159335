"""Email addresses as recipients files and settings give them: one mailbox each, checked by
email-validator, so that ``"<a@b.c>, evil@x.y"`` (two mailboxes) or ``a@b`` (no domain) is
refused where it is written instead of going out as something else."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

# Local delivery (the Maildir default, a relay on this host): ``@localhost`` is not a domain on
# the internet, which email-validator rightly refuses, but a mail system accepts it here.
LOCAL_DOMAIN = "localhost"


def check_address(value: str) -> str:
    """``value`` if it is one address, with or without a display name (``Ana <a@b.org>``);
    a ValueError that says why otherwise."""
    if any(char in value for char in "\r\n\0"):
        raise ValueError(f"{value!r} is not an email address: it holds a line break")
    try:
        validate_email(value, check_deliverability=False, allow_display_name=True)
    except EmailNotValidError as exc:
        local = _local_part(value)
        if local is None:
            raise ValueError(f"{value!r} is not an email address: {exc}") from None
        try:  # the local part still has to be one
            validate_email(f"{local}@example.org", check_deliverability=False)
        except EmailNotValidError as inner:
            raise ValueError(f"{value!r} is not an email address: {inner}") from None
    return value


def _local_part(value: str) -> str | None:
    """The local part of ``name@localhost`` (bare, or in angle brackets), else None."""
    address = value.strip()
    if address.endswith(">") and "<" in address:
        address = address[address.rindex("<") + 1 : -1]
    local, at, domain = address.rpartition("@")
    if not at or domain.lower() != LOCAL_DOMAIN or not local:
        return None
    return local
