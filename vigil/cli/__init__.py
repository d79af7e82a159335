"""The ``vigil`` command: a thin skin over the package (and, for ``run``, the Prefect flow).

One module per command group: ``run`` (run, serve), ``backfill``, ``web``, ``rules``, ``feeds``,
``digest``, ``matches``; ``root`` holds the root app and what the commands share, ``errors``
how a :class:`~vigil.errors.VigilError` is said. This module puts them together.

Exit codes scripts can rely on: 0 all good; 1 the command ran but found trouble (a feed or a
delivery failed, a health table shows a troubled feed or message, ``rules eval`` missed its
thresholds); 2 vigil could not start or its input is wrong (bad settings, arguments, rules or
feeds file: ``rules check`` finding a problem exits 2).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from vigil import __version__
from vigil.cli import backfill, config, digest, feeds, matches, rules, rules_eval, run, web
from vigil.cli.errors import fail_unusable
from vigil.cli.root import app, err, out
from vigil.errors import VigilError

__all__ = ["app", "main"]

_REGISTERED = (rules_eval.rules_eval,)  # importing it registers `vigil rules eval`


def _use_config(path: Path | None) -> None:
    if path is not None:  # read wherever settings are (config_file), child processes too
        os.environ["VIGIL_CONFIG"] = str(path)


def _print_version(asked: bool) -> None:
    if asked:
        out.print(f"vigil {__version__}", markup=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            callback=_print_version,
            is_eager=True,
            help="Print vigil's version and exit.",
        ),
    ] = False,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            metavar="FILE",
            callback=_use_config,
            is_eager=True,
            help="The TOML settings file (as VIGIL_CONFIG). Default: ./vigil.toml.",
        ),
    ] = None,
) -> None:
    """vigil: news monitoring from analyst rules to email digests."""


app.command()(run.run)
app.command()(run.serve)
app.command()(backfill.backfill)
app.command()(web.web)
app.add_typer(rules.rules_app, name="rules")
app.add_typer(feeds.feeds_app, name="feeds")
app.add_typer(digest.digest_app, name="digest")
app.add_typer(matches.matches_app, name="matches")
app.add_typer(config.config_app, name="config")
app.command()(config.init)


def main() -> None:
    """The console script: the app, with Ctrl-C and a VigilError said in one line."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("vigil: interrupted")
        sys.exit(130)
    except VigilError as exc:  # a store that cannot be opened, a file: one line, no traceback
        raise SystemExit(fail_unusable(exc).exit_code) from None
