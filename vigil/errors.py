"""Exceptions a user can act on: each names the file (and line) and what is wrong."""


class VigilError(Exception):
    """Base of every error vigil reports to a user without a traceback."""


class ConfigError(VigilError):
    """Settings or a file they point to are unusable."""


class SourceError(VigilError):
    """An article file or a feed could not be read or parsed."""


class StoreError(VigilError):
    """The store cannot be opened: its folder is not writable, its file is not a database, or
    its server does not answer. The message names the file or server and what to do."""


class FileFormatError(VigilError):
    """A rules, actors or feeds file is malformed; ``problems`` lists each with file and line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class DeliveryError(VigilError):
    """A message could not be delivered; ``permanent`` says whether retrying can help."""

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
