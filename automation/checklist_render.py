"""A checklist shown to people and scripts: the progress bar, the text report of
`salesbot checklist`, and the stable JSON of `salesbot checklist --json`.

Reading a description into a `Checklist` is `automation.checklist`, which
re-exports these functions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from automation.errors import InputError

if TYPE_CHECKING:  # automation.checklist imports this module
    from automation.checklist import Checklist


def progress_bar(fraction: float, width: int = 8) -> str:
    """`▓▓▓▓░░░░ 50%`. Rounds down, so 100% and a full bar mean really done."""
    if width < 1:
        raise InputError(f"progress bar width must be at least 1, got {width}")
    fraction = min(max(fraction, 0.0), 1.0) if fraction == fraction else 0.0  # NaN -> 0
    # The epsilon keeps 29/100 at 29% (0.29 * 100 is 28.999... in binary floats).
    filled = int(fraction * width + 1e-9)
    return f"{'▓' * filled}{'░' * (width - filled)} {int(fraction * 100 + 1e-9)}%"


def to_json(checklist: Checklist) -> dict[str, object]:
    """The stable shape printed by `salesbot checklist --json`."""
    return {
        "count": checklist.count,
        "completed_count": checklist.completed_count,
        "progress": round(checklist.progress, 4),
        "sections": [
            {
                "title": section.title,
                "level": section.level,
                "count": section.count,
                "completed_count": section.completed_count,
                "required_open": [item.text for item in section.open_required],
                "items": [
                    {
                        "text": item.text,
                        "checked": item.checked,
                        "inapplicable": item.inapplicable,
                        "required": item.required,
                        "key": item.key,
                        "line": item.line,
                    }
                    for item in section.items
                ],
            }
            for section in checklist.sections
        ],
    }


_NO_HEADING = "(no heading)"


def render_text(checklist: Checklist) -> str:
    """One line per section (bar, percent, done/total), a total line, then the
    open required items with their line numbers."""
    if not checklist.sections:
        return "No checklist items."
    names = [section.title or _NO_HEADING for section in checklist.sections]
    name_width = max(len(name) for name in [*names, "Total"])
    lines = [
        _report_line(name, section.progress, section.completed_count, section.count, name_width)
        for name, section in zip(names, checklist.sections, strict=True)
    ]
    lines.append(
        _report_line(
            "Total", checklist.progress, checklist.completed_count, checklist.count, name_width
        )
    )
    open_required = checklist.open_required
    if open_required:
        lines.append(f"Open required items ({len(open_required)}):")
        lines.extend(
            f"  - {item.text} [{item.section or _NO_HEADING}, line {item.line}]"
            for item in open_required
        )
    return "\n".join(lines)


def _report_line(name: str, progress: float, done: int, count: int, width: int) -> str:
    # Pad the bar to its widest form ("▓▓▓▓▓▓▓▓ 100%") so the counts line up.
    bar = progress_bar(progress).ljust(len(progress_bar(1.0)))
    return f"{name.ljust(width)}  {bar}  {done}/{count}"
