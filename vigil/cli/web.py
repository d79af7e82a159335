"""``vigil web``: the analyst's page, served by uvicorn over the same store as the runs."""

from __future__ import annotations

from typing import Annotated

import typer

from vigil.cli.errors import reports_errors
from vigil.cli.root import EXIT_UNUSABLE, RulesOption, err, settings_from


@reports_errors
def web(
    host: Annotated[
        str,
        typer.Option(
            metavar="ADDR",
            help="Address to listen on. Anything but loopback needs VIGIL_WEB_TOKEN set.",
        ),
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", min=1, max=65535, help="Port to listen on.")
    ] = 8765,
    root_path: Annotated[
        str,
        typer.Option(
            metavar="PREFIX",
            help="The path prefix a reverse proxy serves the page under, e.g. /vigil.",
        ),
    ] = "",
    rules: RulesOption = None,
) -> None:
    """Serve the web page: the match stream with filters and search, each item and why it
    matched, rules with hits per day and measured precision, a playground to try a rule edit on
    stored news, labelling, and the feeds, outbox and recipients tables.

    Runs beside `vigil serve` (or without it) over the same store; needs no Prefect server.
    Stop with Ctrl-C or SIGTERM.
    """
    import uvicorn

    from vigil.web import UnsafeBind, check_bind, create_app

    settings = settings_from(rules=rules)
    token = settings.web_token.get_secret_value() if settings.web_token else None
    try:
        check_bind(host, token)
    except UnsafeBind as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_UNUSABLE) from None
    app = create_app(settings)
    err.print(f"vigil web: http://{host}:{port}{root_path}/ (Ctrl-C to stop)", markup=False)
    uvicorn.run(app, host=host, port=port, root_path=root_path, log_level="warning",
                proxy_headers=True)  # fmt: skip
