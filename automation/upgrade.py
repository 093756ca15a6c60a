"""Template upgrades: carry a changed template into the open issues made from it.

An issue records its template's version in its marker; when the template's
`version:` is higher, `upgrade` rewrites the issue's description:

- an item of the template that the issue lacks is inserted in its section
  (by heading title), in template order: before the next template item the
  section holds, else after the previous one, else at the section's end; a
  section the issue lacks is inserted before the next template section it has;
- an item the issue has but the template no longer has is kept: marked not
  applicable (`[~]`, GitLab 15.3+) when unticked, untouched when ticked;
- a reworded item takes the new text and keeps its box (ticked or not);
- a section or item whose template now names its owner (`owned_by`) gets
  the owner comment, the person read back from the issue's own text
  (`automation.upgrade_owners`), so the sweep nudges them;
- the marker's version moves on.

Everything else (lines, sections and items a person added, ticks, text a
person changed) is kept byte for byte: the upgrade only edits the lines it
names and inserts whole lines.

**Telling a person's text from the template's old text.** The issue holds
the text; the template holds only its new text. We chose to keep previous
texts in the template's front matter (design option b) over a hash in each
item's hidden comment (option a):

    version: 2
    reworded:
      onboarding.buddy: ["🔴 Manager: pair the new hire with an onboarding buddy"]

An item whose text is one of its key's `reworded` texts is the bot's old text
and is replaced; any other text differing from the template is a person's
and is kept. When the template rewords that key too, the two edits conflict:
the item is left as it is and the upgrade's one note says so. A hash would
have needed a new hidden-comment format that every other reader of
`<!-- task:... -->` (checklist, dashboard, sweep) parses, and issues opened
before it would have had none; front matter works for every issue ever
opened, and a template author who rewords an item without listing its old
text loses nothing: the old text is then read as a person's and kept.

**Variables.** An issue does not hold the data it was rendered from (handover
reasons, opportunity amounts, the hire's department). So only *static* items
are inserted or reworded: items whose template line has no `{{ ... }}` and is
outside every `{% ... %}` block. An item inside a block or showing a value is
left as the issue has it (never inserted or retired), because
whether and how it renders depends on data the upgrade does not have. An
item counts as removed only when its key is nowhere in the new template's
source, whatever the data. One exception: an item inside a block whose line
shows no variable (and whose key is on no other line) is reworded, since an
issue that holds it rendered that block and the text is the same for any data.

This module is pure: the planner (`plan`) reads nothing from GitLab, and the
applier re-reads the issue before its one write (`carry_ticks`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from automation import checklist
from automation.actions import IssueRef, Plan, RewriteDescription, Step
from automation.index import Tracked
from automation.marker import Marker
from automation.marker import find as find_marker
from automation.neutralise import neutralise
from automation.templates import KINDS
from automation.upgrade_owners import name_owners
from automation.upgrade_spec import (
    BOX,
    HEADING,
    TASK,
    TemplateItem,
    TemplateSpec,
    item_line,
    lines_of,
    load_spec,
    norm,
)

__all__ = ["TemplateSpec", "Upgrade", "carry_ticks", "kind_of", "load_spec", "plan", "upgrade"]

WORKFLOW: Final = "upgrade"


@dataclass(frozen=True)
class Upgrade:
    """The upgraded description and what changed, for the plan and the note."""

    description: str
    version: int
    added: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()
    reworded: tuple[str, ...] = ()
    conflicts: tuple[str, ...] = ()  # keys left as they are: a person's edit vs the template's
    owners: tuple[str, ...] = ()  # sections and items whose owner the upgrade named

    @property
    def changes_items(self) -> bool:
        return bool(self.added or self.retired or self.reworded or self.owners)

    def summary(self) -> str:
        parts = [
            f"{len(keys)} {word}"
            for keys, word in (
                (self.added, "added"),
                (self.retired, "marked not applicable"),
                (self.reworded, "reworded"),
                (self.conflicts, "left as a person edited them"),
                (self.owners, "given their owner"),
            )
            if keys
        ]
        return f"upgrade to template version {self.version}: " + (", ".join(parts) or "no item")

    def note(self, spec: TemplateSpec) -> str:
        """The one note about the items left alone, or "" when there are none."""
        if not self.conflicts:
            return ""
        lines = [
            f"salesbot upgraded this checklist to template version {self.version}, but left "
            f"{len(self.conflicts)} item(s) as they are: their text was changed here and the "
            "template changed it too. Keep or edit them as you see fit; the template's new "
            "text is:",
            "",
        ]
        for key in self.conflicts:
            item = spec.item(key)
            text = neutralise(item.body if item else key, "text")
            lines.append(f"- `{key}`: {text}")
        return "\n".join(lines)


# -- the issue side ----------------------------------------------------------------


def _block_end(lines: list[str], index: int) -> int:
    """The index after the item at `index` and its indented continuation lines."""
    end = index + 1
    while end < len(lines) and lines[end].strip() and lines[end][:1] in (" ", "\t"):
        end += 1
    return end


def _heading_index(lines: list[str], title: str) -> int | None:
    for number, line in enumerate(lines):
        match = HEADING.match(line)
        if match and (match.group(2) or "").rstrip("#").strip() == title:
            return number
    return None


def upgrade(
    description: str, spec: TemplateSpec, *, retire_prefixes: tuple[str, ...] | None = None
) -> Upgrade:
    """`description` upgraded to `spec` (see the module docstring).

    `retire_prefixes` limits the keys marked not applicable to those starting
    with one of them followed by `.` (default: the template's own kind), so an
    upgrade from template A to template B can choose what becomes of A's items."""
    prefixes = tuple(f"{p}." for p in (retire_prefixes or (spec.kind,)))
    lines, ends = lines_of(description)
    newline = "\r\n" if "\r\n" in description else "\n"
    parsed = checklist.parse(description)
    first: dict[str, checklist.TaskItem] = {}
    for task in parsed.items:
        if task.key is not None:
            first.setdefault(task.key, task)

    retired: list[str] = []
    reworded: list[str] = []
    conflicts: list[str] = []
    for key, task in first.items():
        index = task.line - 1
        parts = item_line(lines[index], key)
        wanted = spec.item(key)
        if key not in spec.source_keys:
            unticked = not task.checked and not task.inapplicable
            if key.startswith(prefixes) and unticked and parts is not None:
                lead = parts[0]
                lines[index] = lead + "~" + lines[index][len(lead) + 1 :]
                retired.append(key)
            continue
        # a static item's text as rendered; else an item inside a block whose
        # line shows no variable: the issue holds it, so its block rendered
        body = wanted.body if wanted is not None and wanted.static else spec.literal.get(key)
        if body is None:
            continue
        if parts is not None and norm(parts[2]) == norm(body):
            continue
        if parts is not None and norm(parts[2]) in spec.reworded.get(key, ()):
            lead, box, _, tail = parts
            lines[index] = f"{lead}{box}] {body} {tail.lstrip()}"
            reworded.append(key)
        elif key in spec.reworded:
            conflicts.append(key)  # a person's text, and the template changed it too

    inserts: dict[int, list[str]] = {}
    added = _insertions(spec, lines, first, inserts)
    out: list[str] = []
    out_ends: list[str] = []
    for number, line in enumerate(lines):
        for new in inserts.get(number, ()):
            out.append(new)
            out_ends.append(newline)
        out.append(line)
        out_ends.append(ends[number])
    if len(lines) in inserts:  # at the very end
        if out and not out_ends[-1]:
            out_ends[-1] = newline
        for new in inserts[len(lines)]:
            out.append(new)
            out_ends.append(newline)
    text = "".join(line + end for line, end in zip(out, out_ends, strict=True))
    text, owners = name_owners(text, spec.owners)
    text = _bump(text, spec.version)
    return Upgrade(
        text,
        spec.version,
        tuple(added),
        tuple(retired),
        tuple(reworded),
        tuple(conflicts),
        owners,
    )


def _insertions(
    spec: TemplateSpec,
    lines: list[str],
    present: Mapping[str, checklist.TaskItem],
    inserts: dict[int, list[str]],
) -> list[str]:
    """Plan the new items' lines into `inserts` (index -> lines to put before it)."""
    added: list[str] = []
    sections: dict[str, list[TemplateItem]] = {}
    for item in spec.items:
        sections.setdefault(item.section, []).append(item)
    titles = list(sections)
    marker_at = next(
        (n for n in range(len(lines) - 1, -1, -1) if find_marker(lines[n])), len(lines)
    )
    for position, title in enumerate(titles):
        items = sections[title]
        here = [i for i in items if i.key in present and present[i.key].section == title]
        for number, item in enumerate(items):
            if item.key in present or not item.static:
                continue
            after = [i for i in items[number + 1 :] if i in here]
            before = [i for i in items[:number] if i in here]
            if after:
                at = present[after[0].key].line - 1
            elif before:
                at = _block_end(lines, present[before[-1].key].line - 1)
            else:
                end = _section_end(lines, title, marker_at)
                if end is None:
                    at = _next_section(lines, titles[position + 1 :], marker_at)
                    inserts.setdefault(at, []).extend([item.heading, ""])
                    new = [i for i in items[number:] if i.key not in present and i.static]
                    inserts[at].extend([i.line for i in new] + [""])
                    added.extend(i.key for i in new)
                    break
                at = end
            inserts.setdefault(at, []).append(item.line)
            added.append(item.key)
    return added


def _section_end(lines: list[str], title: str, marker_at: int) -> int | None:
    """Where to append to an existing section without template items: after its
    last list line, else after its heading and the paragraph below it."""
    start = _heading_index(lines, title) if title else None
    if start is None:
        return None
    end = next((n for n in range(start + 1, len(lines)) if HEADING.match(lines[n])), marker_at)
    end = min(end, marker_at)
    last_item = None
    for n in range(start + 1, end):
        if BOX.match(lines[n]) and lines[n].lstrip()[:1] in ("-", "*", "+"):
            last_item = n
    if last_item is not None:
        return _block_end(lines, last_item)
    while end - 1 > start and not lines[end - 1].strip():
        end -= 1
    return end


def _next_section(lines: list[str], later: list[str], marker_at: int) -> int:
    for title in later:
        found = _heading_index(lines, title) if title else None
        if found is not None:
            return found
    return marker_at


def _bump(text: str, version: int) -> str:
    marker = find_marker(text)
    if marker is None or marker.version >= version:
        return text
    old = marker.render()
    new = Marker(marker.workflow, marker.key, version).render()
    at = text.rfind(old)
    return text[:at] + new + text[at + len(old) :]


# -- which template an issue was made from -------------------------------------------


def kind_of(description: str) -> str | None:
    """The template an issue was rendered from: the prefix of its first task
    key (`onboarding.buddy` -> `onboarding`), when that is a template kind.
    An LDR that grew into a consult holds both kinds' keys: it is a consult
    (automation/workflows/ldr_growth.py)."""
    found = [str(k).split(".", 1)[0] for k in TASK.findall(description)]
    kinds = [p for p in found if p in KINDS]
    if "ldr" in kinds and "consult" in kinds:
        return "consult"
    return kinds[0] if kinds else None


# -- the planner ---------------------------------------------------------------------


def plan(
    issues: Iterable[Tracked], specs: Mapping[str, TemplateSpec], *, only: str | None = None
) -> Plan:
    """One description rewrite per open issue whose template moved on and whose
    upgrade changes an item or leaves one alone (said in the action's note).

    `only` keeps the issues of one workflow (`handover`, `opportunity`, ...) or
    one template kind (`consult`, `ldr`, ...)."""
    steps: list[Step] = []
    notes: list[str] = []
    for tracked in issues:
        issue = tracked.issue
        if not issue.is_open:
            continue
        kind = kind_of(issue.description)
        if kind is None or kind not in specs:
            continue
        if only is not None and only not in (kind, tracked.marker.workflow):
            continue
        spec = specs[kind]
        if tracked.marker.version >= spec.version:
            continue
        result = upgrade(issue.description, spec)
        if not result.changes_items and not result.conflicts:
            notes.append(
                f"#{issue.iid}: template {kind} version {spec.version} changes none of its items"
            )
            continue
        action = RewriteDescription(
            target=IssueRef(iid=issue.iid),
            seen=issue.description,
            description=result.description,
            note=result.note(spec),
            reason=result.summary(),
        )
        steps.append(Step(tracked.marker.workflow, action))
    return Plan(tuple(steps), tuple(notes))


# -- the write: never lose a tick made since the read --------------------------------


def carry_ticks(seen: str, fresh: str, planned: str) -> str | None:
    """`planned` with the boxes people ticked or unticked between the read
    (`seen`) and the re-read just before the write (`fresh`); None when
    `fresh` differs from `seen` in more than boxes (the next run re-plans)."""
    if fresh == seen:
        return planned
    old, _ = lines_of(seen)
    new, _ = lines_of(fresh)
    if len(old) != len(new):
        return None
    boxes: dict[str, str] = {}
    for before, after in zip(old, new, strict=True):
        if before == after:
            continue
        a, b = BOX.match(before), BOX.match(after)
        keys = TASK.findall(before)
        if a is None or b is None or not keys or a["lead"] != b["lead"] or a["rest"] != b["rest"]:
            return None
        boxes[keys[0]] = b["box"]
    lines, ends = lines_of(planned)
    for key, box in boxes.items():
        index = next((n for n, line in enumerate(lines) if item_line(line, key)), None)
        if index is None:
            return None
        lead = BOX.match(lines[index])["lead"]  # type: ignore[index]
        lines[index] = lead + box + lines[index][len(lead) + 1 :]
    return "".join(line + end for line, end in zip(lines, ends, strict=True))
