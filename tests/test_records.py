"""Records live outside the adapter: planning never loads python-gitlab."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_planners_the_applier_and_the_records_do_not_import_the_adapter() -> None:
    code = (
        "import sys\n"
        "import automation.records, automation.actions, automation.index\n"
        "import automation.workflows.sweep, automation.workflows.consults\n"
        "import automation.workflows.handover, automation.workflows.onboarding\n"
        "import automation.workflows.status, automation.hidden, automation.registry\n"
        "print(sorted(m for m in sys.modules if m in ('automation.api', 'gitlab')))\n"
    )
    shown = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert shown.stdout.strip() == "[]"
