"""How fast the checklist reader reads hostile and ordinary descriptions.

    python -m benchmarks.checklist [--repeat 3]

Every description up to GitLab's 1 MB limit must parse in linear time, under
0.3 s per MB (issue 11): a hostile description must never stall the sweep.
Each input is parsed `--repeat` times and the fastest run is reported, in
CPU seconds of this process (`time.process_time`) next to wall seconds: on
a shared machine the wall clock also counts other processes' turns. With the
`salesbot checklist --json` output (to_json + json.dumps) timed on the 1 MB
checklist. Figures, never assertions: read the verdicts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from automation.checklist import parse, to_json

TARGET_S_PER_MB = 0.3
MB = 1_000_000
TASK = "\n- [ ] a task after it\n"


@dataclass(frozen=True)
class Figure:
    name: str
    megabytes: float
    seconds: float  # CPU seconds of the fastest run
    wall: float  # wall seconds of the fastest run
    tasks: int

    @property
    def s_per_mb(self) -> float:
        return self.seconds / self.megabytes

    @property
    def ok(self) -> bool:
        return self.s_per_mb < TARGET_S_PER_MB

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "mb": round(self.megabytes, 3),
            "cpu_seconds": round(self.seconds, 4),
            "wall_seconds": round(self.wall, 4),
            "s_per_mb": round(self.s_per_mb, 4),
            "tasks": self.tasks,
            "target_s_per_mb": TARGET_S_PER_MB,
            "ok": self.ok,
        }


def ordinary(size: int = MB) -> str:
    """A 30/60/90-style plan: headings, red-dot and keyed items, nesting."""
    parts: list[str] = []
    length = 0
    section = 0
    while length < size:
        section += 1
        lines = [f"## Day {section * 30}", "", "Work through these with your manager.", ""]
        for item in range(20):
            box = "[x]" if item % 3 == 0 else "[ ]"
            red = "🔴 " if item % 4 == 0 else ""
            key = f"onboarding.s{section}.i{item}"
            lines.append(f"- {box} {red}Meet the account team, item {item} <!-- task:{key} -->")
            if item % 5 == 0:
                lines.append(f"  - [ ] Shadow a call with `seller {item}` and take notes")
        lines.append("")
        block = "\n".join(lines) + "\n"
        parts.append(block)
        length += len(block.encode("utf-8"))
    return "".join(parts)


def tab_nesting(depth: int = 300, times: int = 3) -> str:
    nest = "\n".join("\t" * level + "- [ ] tabbed" for level in range(depth))
    return "\n\n".join([nest] * times) + "\n"


def deep_nesting(depth: int = 800, size: int = 526_000) -> str:
    """Lists nested `depth` deep (a tab is two levels of `- `), padded with
    ordinary items to `size` bytes."""
    nest = "\n".join(
        "\t" * (level // 2) + "  " * (level % 2) + f"- [ ] level {level}" for level in range(depth)
    )
    text = "\n\n".join([nest] * 3)
    filler = "\n\n" + "- [x] filler item\n" * ((size - len(text)) // 18 + 1)
    return (text + filler)[:size]


def wide_table(columns: int = 50_000, size: int = MB) -> str:
    """GFM pads each row to the header's width: columns x rows cells."""
    head = "|" + "a|" * columns + "\n|" + "-|" * columns + "\n"
    return head + "x\n" * ((size - len(head) - len(TASK)) // 2) + TASK


def inputs() -> list[tuple[str, Callable[[], str]]]:
    return [
        ("400,000 '>' (one line, as reported)", lambda: ">" * 400_000),
        ("400,000 '>' then a task", lambda: ">" * 400_000 + TASK),
        ("1 MB of '>' then a task", lambda: ">" * (MB - len(TASK)) + TASK),
        ("1 MB of '> ' nesting, then a task", lambda: "> " * (MB // 2 - 4) + "- [ ] x"),
        ("1 MB of '- ' nesting, then a box", lambda: "- " * (MB // 2 - 3) + "[ ] x"),
        ("tab nesting 300 deep x3", tab_nesting),
        ("526 KB nested 800 deep", deep_nesting),
        ("1 MB of '- [ ] x' lines", lambda: "- [ ] x\n" * (MB // 8)),
        ("1 MB wide table over short lines", wide_table),
        ("1 MB of '*a' (emphasis openers)", lambda: "*a" * (MB // 2 - 6) + TASK),
        ("1 MB of footnote references", lambda: "[^x]" * (MB // 4 - 12) + "\n\n[^x]: y" + TASK),
        ("1 MB of setext headings", lambda: "a\n---\n" * (MB // 6 - 4) + TASK),
        ("1 MB ordinary checklist", ordinary),
    ]


def _timed(name: str, description: str, repeat: int, work: Callable[[str], int]) -> Figure:
    cpu = wall = float("inf")
    tasks = 0
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        tasks = work(description)
        cpu = min(cpu, time.process_time() - started_cpu)
        wall = min(wall, time.perf_counter() - started)
    return Figure(name, len(description.encode("utf-8")) / MB, cpu, wall, tasks)


def _parse(description: str) -> int:
    return len(parse(description).items)


def _parse_and_print(description: str) -> int:
    checklist = parse(description)
    json.dumps(to_json(checklist), ensure_ascii=False)
    return len(checklist.items)


def measure(name: str, description: str, repeat: int) -> Figure:
    return _timed(name, description, repeat, _parse)


def json_output(repeat: int) -> Figure:
    """`salesbot checklist --json` on the 1 MB checklist: parse and print."""
    return _timed("1 MB checklist --json (parse + JSON)", ordinary(), repeat, _parse_and_print)


def bench(repeat: int = 3) -> list[Figure]:
    figures = [measure(name, make(), repeat) for name, make in inputs()]
    figures.append(json_output(repeat))
    return figures


def table(figures: list[Figure]) -> str:
    width = max(len(f.name) for f in figures)
    lines = [
        f"checklist reader (target < {TARGET_S_PER_MB} CPU s/MB, fastest of the runs)",
        f"{'input'.ljust(width)}  {'MB':>6}  {'CPU s':>7}  {'wall s':>7}  {'CPU s/MB':>8}  "
        f"{'tasks':>7}",
    ]
    lines.extend(
        f"{f.name.ljust(width)}  {f.megabytes:6.3f}  {f.seconds:7.4f}  {f.wall:7.4f}  "
        f"{f.s_per_mb:8.3f}  {f.tasks:7d}  {'ok' if f.ok else 'MISS'}"
        for f in figures
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checklist")
    parser.add_argument("--repeat", type=int, default=3, help="runs per input (3)")
    args = parser.parse_args(argv)
    print(table(bench(args.repeat)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
