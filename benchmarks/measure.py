"""One measured run, in a process of its own so that its peak RSS is its own.

    python -m benchmarks.measure RESULT.json cli -- --config C --today D sweep
    python -m benchmarks.measure RESULT.json naive -- --config C --today D [--limit K]

`cli` runs the real command (`automation.cli.main`) with GITLAB_URL,
GITLAB_TOKEN and SALESBOT_PROJECT from the environment; `naive` runs the
baseline (`benchmarks.naive`); `validate FILE.csv` validates a handover file
as `handover import` does, without GitLab. The result file gets the exit code,
the wall time of the run (imports included, interpreter start-up not), the
process's own CPU time (user + system: the sandbox serving the requests
shares the machine's cores, so wall time alone says as much about it), the
peak RSS and, for `naive` and `validate`, their own figures.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def peak_rss_mb() -> float:
    # Linux: VmHWM is this program's own peak. ru_maxrss is not: it survives
    # exec, so a child forked from a big parent (pytest) reports the parent's.
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    # ru_maxrss is in kilobytes on Linux (bytes on macOS)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run(mode: str, argv: list[str]) -> dict[str, Any]:
    started = time.perf_counter()
    cpu_started = cpu_s()
    extra: dict[str, Any] = {}
    if mode == "cli":
        from automation.cli import main

        code = main(argv)
    elif mode == "naive":
        from benchmarks.naive import main as naive_main

        code, extra = naive_main(argv)
    elif mode == "validate":
        from datetime import date

        from automation.workflows import handover

        read = handover.read(Path(argv[0]), today=date.fromisoformat(argv[1]))
        rows = sum(1 for _ in read.handovers)  # the second, lazy pass as an import makes
        code, extra = 0, {"rows": rows}
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    return {
        "exit_code": code,
        "wall_s": time.perf_counter() - started,
        "cpu_s": cpu_s() - cpu_started,
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
