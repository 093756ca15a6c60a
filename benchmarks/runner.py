"""Runs the benchmark: a sandbox child process, measured runs in their own
processes, request counts from the sandbox's log, figures against floors.

For each N, on a freshly seeded sandbox whose `stale` issues each need one
label change:

1. the naive baseline sweep (`benchmarks.naive`), on a sandbox of its own;
2. `salesbot sweep` (writes the `stale` changes);
3. `salesbot sweep` again (nothing to change);
4. `salesbot run` (onboard sync, sweep, and the dashboard's first write);
5. `salesbot run` again (nothing to change).

The floor of a sweep is ceil(listed / 100) list requests plus one request per
needed change; the target is at most 1.1 x the floor.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from benchmarks.dataset import TODAY, team_yaml

ROOT = Path(__file__).resolve().parent.parent
LIST_KIND = "GET /projects/:id/issues"
FLOOR_SLACK = 1.1
# the issue's wall-time targets, at 30 ms per request and 10,000 issues
NOOP_TARGET_S = 10.0
WRITE_TARGET_S = 15.0
RSS_TARGET_MB = 250.0


@dataclass(frozen=True)
class Sandbox:
    """The running sandbox child: where it is and how to ask it for figures."""

    url: str
    token: str
    project: str
    issues: int
    stdin: IO[str]
    stdout: IO[str]

    def ask(self, command: str) -> dict[str, Any]:
        self.stdin.write(command + "\n")
        self.stdin.flush()
        answer = json.loads(self.stdout.readline())
        assert isinstance(answer, dict)
        return answer

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "GITLAB_URL": self.url,
            "GITLAB_TOKEN": self.token,
            "SALESBOT_PROJECT": self.project,
            "PYTHONPATH": str(ROOT),
        }


@contextmanager
def sandbox(
    n: int, *, stale: int, latency: float, rate_limit: int | None = None, seed: int = 0
) -> Iterator[Sandbox]:
    """Start `python -m benchmarks.server` and wait until it is seeded and serving."""
    command = [
        sys.executable,
        "-m",
        "benchmarks.server",
        f"--n={n}",
        f"--stale={stale}",
        f"--latency={latency}",
        f"--seed={seed}",
    ]
    if rate_limit is not None:
        command.append(f"--rate-limit={rate_limit}")
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdin is not None and process.stdout is not None
    try:
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark sandbox did not start")
        hello = json.loads(line)
        yield Sandbox(
            hello["url"],
            hello["token"],
            hello["project"],
            hello["issues"],
            process.stdin,
            process.stdout,
        )
    finally:
        if process.poll() is None:
            try:
                process.stdin.write("quit\n")
                process.stdin.flush()
                process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                process.kill()
                process.wait()


def config_dir(n: int, where: Path, *, seed: int = 0) -> Path:
    """The shipped config with a roster holding every hire of the data set."""
    where.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "config" / "salesbot.yml", where / "salesbot.yml")
    (where / "team.yml").write_text(team_yaml(n, seed=seed), encoding="utf-8")
    return where / "salesbot.yml"


@dataclass(frozen=True)
class Measurement:
    """One measured run and its request counts as the sandbox saw them."""

    name: str
    n: int
    exit_code: int
    wall_s: float  # the run itself, imports included
    process_s: float  # the whole child process, interpreter start-up included
    rss_mb: float
    requests: int
    lists: int
    writes: int
    floor: int | None
    by_kind: dict[str, int] = field(default_factory=dict)
    cpu_s: float = 0.0  # salesbot's own user + system CPU time
    statuses: dict[str, int] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def vs_floor(self) -> float | None:
        return self.requests / self.floor if self.floor else None


def sweep_floor(listed: int, changes: int) -> int:
    return math.ceil(listed / 100) + changes


def measure(
    name: str,
    box: Sandbox,
    mode: str,
    argv: list[str],
    *,
    floor: int | None,
    workdir: Path,
) -> Measurement:
    """Run `python -m benchmarks.measure` against the sandbox; return its figures."""
    box.ask("stats")  # start counting from zero
    result_file = workdir / "result.json"
    result_file.unlink(missing_ok=True)
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.measure", str(result_file), mode, "--", *argv],
        cwd=ROOT,
        env=box.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
    )
    process_s = time.perf_counter() - started
    counts = box.ask("stats")
    if not result_file.exists():
        raise RuntimeError(f"{name}: the measured run crashed:\n{completed.stderr[-2000:]}")
    result = json.loads(result_file.read_text(encoding="utf-8"))
    by_kind = counts["by_kind"]
    return Measurement(
        name=name,
        n=box.issues,
        exit_code=result.pop("exit_code"),
        wall_s=result.pop("wall_s"),
        process_s=process_s,
        rss_mb=result.pop("rss_mb"),
        cpu_s=result.pop("cpu_s", 0.0),
        requests=counts["total"],
        lists=int(by_kind.get(LIST_KIND, 0)),
        writes=counts["writes"],
        floor=floor,
        by_kind=by_kind,
        statuses=counts["statuses"],
        extra={**result, "stderr": completed.stderr.strip()[-500:]},
    )


@dataclass(frozen=True)
class Baseline:
    """The naive sweep, scaled up to every issue when only a sample was examined."""

    measured: Measurement
    wall_s: float
    requests: int


def run_baseline(
    n: int, stale: int, latency: float, config: Path, workdir: Path, sample: int | None
) -> Baseline:
    limit = sample if sample and sample < n else None
    argv = ["--config", str(config), "--today", TODAY.isoformat()]
    if limit:
        argv += ["--limit", str(limit)]
    with sandbox(n, stale=stale, latency=latency) as box:
        measured = measure(
            "naive sweep", box, "naive", argv, floor=sweep_floor(n, stale), workdir=workdir
        )
    extra = measured.extra
    examined, listed = extra["examined"], extra["listed"]
    if examined == listed:
        return Baseline(measured, measured.wall_s, measured.requests)
    # reads scale with the issues examined; the writes are the `stale` changes
    reads = measured.requests - measured.writes - measured.lists - 1  # GET /user
    requests = measured.lists + 1 + round(reads * listed / examined) + stale
    wall = extra["setup_s"] + extra["list_s"] + extra["per_issue_s"] * listed
    return Baseline(measured, wall, requests)


@dataclass
class Results:
    n: int
    latency: float
    stale: int
    baseline: Baseline
    runs: list[Measurement]

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "latency_s": self.latency,
            "stale": self.stale,
            "baseline": {
                "wall_s": self.baseline.wall_s,
                "requests": self.baseline.requests,
                "sampled": self.baseline.measured.extra.get("examined"),
                "measured": asdict(self.baseline.measured),
            },
            "runs": [asdict(m) | {"vs_floor": m.vs_floor} for m in self.runs],
        }


def bench(
    n: int,
    *,
    latency: float,
    stale: int = 1000,
    baseline_sample: int | None = 1000,
    workdir: Path | None = None,
) -> Results:
    """Every measurement for one N."""
    stale = min(stale, n)
    with tempfile.TemporaryDirectory(prefix="salesbot-bench-") as tmp:
        work = workdir or Path(tmp)
        config = config_dir(n, work / "config")
        baseline = run_baseline(n, stale, latency, config, work, baseline_sample)
        common = ["--config", str(config), "--today", TODAY.isoformat()]
        runs = []
        with sandbox(n, stale=stale, latency=latency) as box:
            plan = [
                ("sweep", ["sweep"], sweep_floor(n, stale)),
                ("sweep, rerun", ["sweep"], sweep_floor(n, 0)),
                # the first run writes the dashboard and the Area Sales Manager's
                # group consult of the month: two more changes
                ("run", ["run"], sweep_floor(n, 2)),
                ("run, rerun", ["run"], sweep_floor(n + 2, 0)),
            ]
            for name, argv, floor in plan:
                runs.append(measure(name, box, "cli", common + argv, floor=floor, workdir=work))
    return Results(n, latency, stale, baseline, runs)
