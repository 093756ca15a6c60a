"""One measured run, in a process of its own so that its peak RSS is its own.

    python -m benchmarks.measure RESULT.json cli -- --config C --today D sweep
    python -m benchmarks.measure RESULT.json naive -- --config C --today D [--limit K]

`cli` runs the real command (`automation.cli.main`) with GITLAB_URL,
GITLAB_TOKEN and SALESBOT_PROJECT from the environment; `naive` runs the
baseline (`benchmarks.naive`). The result file gets the exit code, the wall
time of the run (imports included, interpreter start-up not), the process's
peak RSS and, for `naive`, its own figures.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(mode: str, argv: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    extra: dict[str, Any] = {}
    if mode == "cli":
        from automation.cli import main

        code = main(argv)
    elif mode == "naive":
        from benchmarks.naive import main as naive_main

        code, extra = naive_main(argv)
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return {
        "exit_code": code,
        "wall_s": time.perf_counter() - started,
        "rss_mb": peak_rss_mb(),
        **extra,
    }


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) < 2 or (len(args) > 2 and args[2] != "--"):
        print(__doc__, file=sys.stderr)
        return 1
    result_file, mode, rest = Path(args[0]), args[1], args[3:]
    result = run(mode, rest)
    result_file.write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
