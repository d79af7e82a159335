"""Every exception vigil raises, in one tree. Each names the file (and line), feed, store or
server concerned, and what to do; the CLI prints the message without a traceback.

::

    VigilError                  (anything vigil reports to a user)
    ├── ConfigError             settings, or a file they point to, are unusable
    │   ├── QueryError          a rule's query does not parse (also a ValueError)
    │   ├── TermError           a term that cannot be matched (also a ValueError)
    │   ├── UnsafeBind          ``vigil web`` asked to listen beyond loopback unguarded
    │   └── StarterExists       ``vigil init`` would overwrite what a folder holds
    ├── FormProblem             a field the web page was sent cannot be read (a ValueError)
    ├── FileFormatError         a rules, actors or feeds file is malformed: every problem
    │   └── LabelsError         a labels file for ``vigil rules eval`` is unusable: every problem
    ├── LocalFileError          a local file vigil will not read (a FIFO, too large)
    ├── SourceError             an article file or a feed could not be read or parsed
    │   ├── OverCap             a response decoded to more than its cap
    │   └── UnsupportedEncoding a Content-Encoding vigil cannot decode
    ├── StoreError              the store cannot be opened
    ├── LabelError              an analyst's label cannot be stored
    │   ├── UnknownItem         no stored item has that id
    │   └── WrongVerdict        the verdict contradicts what the rule matched
    ├── DeliveryError           a message could not be delivered (permanent or not)
    └── PrefectServerError      the Prefect server vigil started did not come up
"""

from __future__ import annotations


class VigilError(Exception):
    """Base of every error vigil reports to a user without a traceback."""


class ConfigError(VigilError):
    """Settings or a file they point to are unusable: fix the setting the message names."""


class QueryError(ConfigError, ValueError):
    """A query that does not parse or cannot match; ``column`` is 1-based within the query.
    Fix the query at that column (``vigil rules check`` shows every one)."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(message if column is None else f"column {column}: {message}")


class TermError(ConfigError, ValueError):
    """A term that cannot be matched, with the reason: reword the term."""


class FileFormatError(VigilError):
    """A rules, actors or feeds file is malformed; ``problems`` lists each with file and line.
    Fix each line named; nothing in the file is used until then."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class LabelsError(FileFormatError):
    """A labels file of ``vigil rules eval`` (or a ``--key``) is unusable: a line that is not
    JSON, lacks its title or text, labels a key no rule or tag of the rule set has, or gives a
    label other than 1, 0 or null. Fix each file:line named; nothing is evaluated until then."""


class LocalFileError(VigilError):
    """A local file vigil will not read: not a regular file, too large, or unreadable.
    Point the setting at a regular file within the size the message gives."""


class SourceError(VigilError):
    """An article file or a feed could not be read or parsed: the feed is retried later with
    backoff; an article file is skipped until it is fixed."""


class OverCap(SourceError):
    """A layer of the response decoded to more than the cap (``VIGIL_FEED_MAX_BYTES``)."""


class UnsupportedEncoding(SourceError):
    """A Content-Encoding vigil did not ask for and cannot decode: the server is at fault."""


class StoreError(VigilError):
    """The store cannot be opened: its folder is not writable, its file is not a database, or
    its server does not answer. The message names the file or server and what to do."""


class UnsafeBind(ConfigError):
    """``vigil web`` was asked to listen on an address other machines reach, with nobody's
    access checked: set ``VIGIL_WEB_TOKEN`` (and serve it behind TLS), or listen on loopback."""


class StarterExists(ConfigError):
    """``vigil init`` found the files it would write already there; it writes nothing."""


class FormProblem(VigilError, ValueError):
    """A field a browser sent to the web page cannot be read; the message names the field and
    the page shows it (never a server error)."""


class LabelError(VigilError):
    """An analyst's label (``vigil matches label``) cannot be stored; nothing was written. The
    message says why: fix the item id, the rule id or the verdict it names."""


class UnknownItem(LabelError):
    """No stored item has this id: take the id from ``vigil matches export`` or a digest."""

    def __init__(self, item_id: int) -> None:
        self.item_id = item_id
        super().__init__(f"no stored item has the id {item_id}")


class WrongVerdict(LabelError):
    """The verdict contradicts the store: relevant and irrelevant judge a match the rule made,
    missed names an item it did not match. Use the other kind of verdict."""

    def __init__(self, item_id: int, rule_id: str, verdict: str, *, matched: bool) -> None:
        self.item_id = item_id
        self.rule_id = rule_id
        self.verdict = verdict
        self.matched = matched
        if matched:
            reason = (
                f"{rule_id} matched item {item_id}, so it cannot have missed it; "
                "label the match relevant or irrelevant"
            )
        else:
            reason = (
                f"{rule_id} did not match item {item_id}, so there is no match to call "
                f"{verdict}; label it missed if the rule should have matched it"
            )
        super().__init__(reason)


class DeliveryError(VigilError):
    """A message could not be delivered; ``permanent`` says whether retrying can help. A
    temporary failure is retried with backoff; a permanent one waits in the outbox."""

    def __init__(
        self,
        message: str,
        *,
        permanent: bool = False,
        partial: bool = False,
        refused_message: bool = False,
    ) -> None:
        self.permanent = permanent
        # The server accepted the message for some addresses: it must not be sent again,
        # or those readers would get it twice.
        self.partial = partial
        # The server refused this message itself (its size or content, a 5xx after DATA), not
        # its reader: the matches it carried go in the next message instead of being lost.
        self.refused_message = refused_message
        super().__init__(message)


class PrefectServerError(VigilError):
    """The Prefect server vigil started did not come up; the message carries the end of its
    log. Set ``PREFECT_API_URL`` to a running server, or fix what the log says."""
