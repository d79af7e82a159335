"""Where the SMTP password comes from: the environment, or a Prefect Secret block.

The value is handed to the transport and nowhere else: it is never formatted into a log line,
an artifact or an error message (errors name the block, not its content).
"""

from __future__ import annotations

from vigil.errors import ConfigError
from vigil.settings import Settings


def smtp_password(settings: Settings) -> str | None:
    if settings.smtp_password is not None:
        return settings.smtp_password.get_secret_value()
    if not settings.smtp_password_block:
        return None
    from prefect.blocks.system import Secret  # Prefect only when a block is asked for

    name = settings.smtp_password_block
    try:
        block = Secret.load(name)
    except ValueError as exc:
        raise ConfigError(
            f"Prefect Secret block {name!r} not found ({type(exc).__name__})"
        ) from None
    except Exception as exc:  # the API is down, or the block is of another type
        raise ConfigError(
            f"Prefect Secret block {name!r} could not be read: {type(exc).__name__}"
        ) from None
    value = block.get()
    if not isinstance(value, str):
        raise ConfigError(f"Prefect Secret block {name!r} does not hold a string")
    return value
