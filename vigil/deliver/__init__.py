"""Getting stored messages out: a Maildir on disk, or an SMTP server via aiosmtplib."""

from vigil.deliver.maildir import MaildirTransport
from vigil.deliver.outbox import DeliveryReport, deliver_due
from vigil.deliver.smtp import SmtpTransport

__all__ = ["DeliveryReport", "MaildirTransport", "SmtpTransport", "deliver_due"]
