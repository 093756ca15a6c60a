"""The `salesbot` command. Thin: parse arguments, build the Bot, print results.

Each group of sub-commands lives in its own module (`common`: the app, its
state and consoles; `files`: checklist, config, templates; `workflows`:
handover, onboard, consults, sweep, run; `reports`: dashboard, report,
notify; `sandbox`: sandbox serve, demo). `main(argv) -> int`, here, is the
one place that turns exceptions into exit codes: 1 for the user's input
(config, CSV, arguments), 2 for GitLab or the network.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import NoReturn

import typer

# importing the modules registers their commands on `app`
from automation.cli import files, reports, sandbox, upgrade, webhook, workflows
from automation.cli.common import _state, app, err, hoist_shared_options, out, templates_app
from automation.errors import SalesbotError

__all__ = ["app", "entrypoint", "files", "main", "reports", "sandbox", "workflows"]

upgrade.register(templates_app, state=_state, out=out, err=err)  # templates upgrade
app.command("serve")(webhook.serve)  # the webhook receiver and its hook
app.add_typer(webhook.webhook_app, name="webhook")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code (0 ok, 1 the user's input, 2 GitLab)."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        args = hoist_shared_options(args)
        result = app(args=args, prog_name="salesbot", standalone_mode=False)
    except SalesbotError as exc:
        err.print(f"salesbot: error: {exc}", markup=False)
        return exc.exit_code
    except typer.Exit as exc:
        return exc.exit_code
    except typer.Abort:
        err.print("salesbot: interrupted", markup=False)
        return 130
    except typer.TyperException as exc:  # usage errors: unknown option, missing argument...
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            err.print(f"salesbot: error: {exc.format_message()}", markup=False)
        return 1
    except KeyboardInterrupt:
        err.print("salesbot: interrupted", markup=False)
        return 130
    return result if isinstance(result, int) else 0


def entrypoint() -> NoReturn:
    sys.exit(main())
