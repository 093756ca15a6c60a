"""Property: random template edits and random edits by people, then an
upgrade: no tick lost, no line a person added lost, idempotent."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from automation import checklist
from automation.upgrade import carry_ticks, upgrade
from automation.upgrade_spec import spec_from

KIND = "give-back"
MARKER = "<!-- salesbot:marker workflow=give-back key=k version={} -->"

# A template: sections of (key number, text); keys are unique across sections.
Template = list[tuple[str, list[tuple[int, str]]]]


def render(template: Template, version: int) -> str:
    parts = ["Intro paragraph for people.", ""]
    for title, items in template:
        parts += [f"## {title}", ""]
        parts += [f"- [ ] {text} <!-- task:{KIND}.k{n} -->" for n, text in items]
        parts.append("")
    return "\n".join(parts).rstrip("\n") + "\n"


@dataclass
class Case:
    old: Template
    new: Template
    reworded: dict[str, list[str]]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    counter = iter(range(10_000))
    old: Template = []
    for s in range(draw(st.integers(1, 3))):
        old.append(
            (f"S{s}", [(next(counter), f"task {n}") for n in range(draw(st.integers(1, 4)))])
        )
    # make texts unique per key
    old = [(t, [(n, f"task {n}") for n, _ in items]) for t, items in old]
    new: Template = [(t, list(items)) for t, items in old]
    reworded: dict[str, list[str]] = {}
    for _ in range(draw(st.integers(0, 6))):
        op = draw(st.sampled_from(["add", "remove", "reword", "section"]))
        s = draw(st.integers(0, len(new) - 1))
        items = new[s][1]
        if op == "add":
            at = draw(st.integers(0, len(items)))
            n = next(counter) + 100
            items.insert(at, (n, f"new task {n}"))
        elif op == "remove" and items:
            items.pop(draw(st.integers(0, len(items) - 1)))
        elif op == "reword" and items:
            i = draw(st.integers(0, len(items) - 1))
            n, text = items[i]
            items[i] = (n, f"{text} reworded")
            reworded.setdefault(f"{KIND}.k{n}", []).append(text)
        elif op == "section":
            n = next(counter) + 100
            new.insert(s + draw(st.integers(0, 1)), (f"New {n}", [(n, f"new task {n}")]))
    new = [(t, items) for t, items in new if items]
    return Case(old, new, reworded)


@dataclass
class Issue:
    description: str
    added_lines: list[str]
    ticked: set[str]  # keys
    edited: dict[str, str]  # key -> the person's text


@st.composite
def edited_issues(draw: st.DrawFn, case: Case) -> Issue:
    lines = (render(case.old, 1) + "\n" + MARKER.format(1) + "\n").split("\n")
    ticked: set[str] = set()
    edited: dict[str, str] = {}
    added: list[str] = []
    keys = [f"{KIND}.k{n}" for _, items in case.old for n, _ in items]
    for key in draw(st.lists(st.sampled_from(keys), unique=True)):
        index = next(i for i, line in enumerate(lines) if f"task:{key} " in line)
        lines[index] = lines[index].replace("[ ]", "[x]", 1)
        ticked.add(key)
    for key in draw(st.lists(st.sampled_from(keys), unique=True, max_size=3)):
        index = next(i for i, line in enumerate(lines) if f"task:{key} " in line)
        text = f"my own words for {key}"
        box = lines[index][:6]
        lines[index] = f"{box}{text} <!-- task:{key} -->"
        edited[key] = text
    for number in range(draw(st.integers(0, 4))):
        item_lines = [i for i, line in enumerate(lines) if line.startswith("- [")]
        if draw(st.booleans()) and item_lines:
            at = draw(st.sampled_from(item_lines)) + 1
            line = f"- [{draw(st.sampled_from([' ', 'x']))}] a person's item {number}"
            lines.insert(at, line)
            added.append(line)
        else:
            headings = [i for i, line in enumerate(lines) if line.startswith("## ")]
            at = draw(st.sampled_from([*headings, len(lines) - 2]))
            block = [f"## Person section {number}", "", f"- [x] person task {number}", ""]
            lines[at:at] = block
            added.extend(block[0::2])
    return Issue("\n".join(lines), added, ticked, edited)


def _items(description: str) -> dict[str, checklist.TaskItem]:
    return {i.key: i for i in checklist.parse(description).items if i.key}


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_an_upgrade_loses_no_tick_no_line_and_is_idempotent(data: st.DataObject) -> None:
    case = data.draw(cases())
    issue = data.draw(edited_issues(case))
    rendered = render(case.new, 2)
    spec = spec_from(KIND, 2, rendered, rendered, case.reworded)
    result = upgrade(issue.description, spec)
    after = result.description
    out_lines = after.split("\n")
    items = _items(after)
    # no tick lost: every ticked key and every ticked line of a person's stays ticked
    for key in issue.ticked:
        assert items[key].checked, key
    for line in issue.added_lines:
        assert line in out_lines, line
    new_keys = {f"{KIND}.k{n}" for _, its in case.new for n, _ in its}
    # text a person changed is kept; said in the note when the template changed it too
    for key, text in issue.edited.items():
        assert items[key].text == text
        assert (key in result.conflicts) == (key in case.reworded and key in new_keys)
    # the template's new items are there, removed ones stay (marked when unticked)
    assert new_keys <= set(items)
    for key, item in _items(issue.description).items():
        assert key in items
        if key not in new_keys and not item.checked:
            assert items[key].inapplicable
    for key in set(result.reworded):
        assert items[key].text == spec.item(key).body  # type: ignore[union-attr]
    assert MARKER.format(2) in after
    # idempotent: a second upgrade changes nothing
    again = upgrade(after, spec)
    assert again.description == after
    assert not again.changes_items


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_a_tick_made_between_read_and_write_survives(data: st.DataObject) -> None:
    case = data.draw(cases())
    issue = data.draw(edited_issues(case))
    rendered = render(case.new, 2)
    planned = upgrade(issue.description, spec_from(KIND, 2, rendered, rendered, case.reworded))
    before = _items(issue.description)
    open_keys = [k for k, i in before.items() if not i.checked and not i.inapplicable]
    if not open_keys:
        return
    key = data.draw(st.sampled_from(open_keys))
    fresh = "\n".join(
        line.replace("[ ]", "[x]", 1) if f"task:{key} " in line else line
        for line in issue.description.split("\n")
    )
    written = carry_ticks(issue.description, fresh, planned.description)
    assert written is not None
    assert _items(written)[key].checked
    # everything else is the planned upgrade
    differ = [
        (a, b)
        for a, b in zip(written.split("\n"), planned.description.split("\n"), strict=True)
        if a != b
    ]
    assert all(f"task:{key} " in a for a, _ in differ) and len(differ) <= 1
