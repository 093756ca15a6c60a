"""The loop's invariants over random histories (issue 10, point 6).

A hypothesis state machine plays a sales team's weeks against the sandbox over
real HTTP, on GitLab Free and Premium: the roster changes (hires, departures,
returns), the CRM export changes, managers open handovers, people tick and
untick boxes, remove the bot's labels and reopen issues, and days pass
(weekends included). After every step the scheduled `salesbot run` runs, and
then these must hold:

- one open issue per business key;
- at most one label per scope on every bot issue;
- no nudge ever mentions a member who had left when it was written;
- an immediate rerun on the same day makes zero writes.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import tempfile
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, ClassVar

import yaml
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from automation.api import GitLabApi, Settings
from automation.cli import main
from automation.index import track
from automation.labels import scope_of
from automation.records import Issue
from automation.sandbox import Sandbox

ROOT = Path(__file__).resolve().parent.parent
START = date(2026, 11, 30)  # a Monday

# Everyone the sandbox knows; the roster names a changing subset of them.
PEOPLE: dict[str, dict[str, Any]] = {
    "alice": {"role": "Area Sales Manager", "segment": "SMB", "manager": None},
    "bob": {"role": "SMB Account Executive", "segment": "SMB", "manager": "alice"},
    "carol": {"role": "Mid-Market Account Executive", "segment": "Mid-Market", "manager": "alice"},
    "dave": {"role": "SMB Account Executive", "segment": "SMB", "manager": "alice"},
    "grace": {"role": "SMB Account Executive", "segment": "SMB", "manager": "alice"},
    "kim": {"role": "SMB Account Executive", "segment": "SMB", "manager": "alice"},
}
SELLERS = ("bob", "carol", "dave", "grace", "kim")
HIRES = ("kim",)  # not on the roster until hired
ACCOUNTS = ("Acme", "Acme, Inc.", "Globex", "@Initech", "Umbrella Über")
STAGES = ("1-Discovery", "2-Scoping", "3-Technical Evaluation", "Closed Won", "Closed Lost")
HEADER = "id,name,account,owner,segment,iacv,amount,close_date,stage\n"


class Loop(RuleBasedStateMachine):
    premium: ClassVar[bool] = False

    def __init__(self) -> None:
        super().__init__()
        self.sandbox = Sandbox(premium=self.premium).start()
        for username in PEOPLE:
            self.sandbox.add_user(username, username.title())
        self.dir = Path(tempfile.mkdtemp(prefix="salesbot-loop-"))
        config = yaml.safe_load((ROOT / "config" / "salesbot.yml").read_text(encoding="utf-8"))
        config["gitlab"]["tier"] = "premium" if self.premium else "free"
        config["consults"]["opportunities"] = "opportunities.csv"
        config["consults"]["on_bad_rows"] = "abort"
        (self.dir / "salesbot.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self.day = START
        self.calls = 0
        # username -> "active" | "left"; absent: not on the roster
        self.roster: dict[str, str] = {u: "active" for u in PEOPLE if u not in HIRES}
        self.starts: dict[str, date] = {u: date(2024, 1, 8) for u in self.roster}
        self.starts["grace"] = START - timedelta(days=24)  # a hire a week from Day 30
        close = START + timedelta(days=20)
        self.opportunities: dict[str, str] = {  # an LDR and a consult from the start
            "O1": f"O1,Deal 1,Account 1,bob,SMB,6000,6000,{close},2-Scoping\n",
            "O2": f"O2,Deal 2,Account 2,carol,SMB,15000,15000,{close},2-Scoping\n",
        }
        # (username, when they left): a nudge to them after that is a defect
        self.departures: dict[str, datetime] = {}
        # every handover a manager asked for, by (CRM id or exact name, effective date)
        self.handovers: set[tuple[str, str]] = set()
        self._environ = dict(os.environ)
        os.environ.update(
            GITLAB_URL=self.sandbox.url,
            GITLAB_TOKEN=self.sandbox.bot_token,
            SALESBOT_PROJECT=self.sandbox.project_path,
        )
        for name in ("CI_NODE_INDEX", "CI_NODE_TOTAL", "SALESBOT_DEADLINE"):
            os.environ.pop(name, None)
        self._write_inputs()

    def teardown(self) -> None:
        self.sandbox.set_time(None)
        self.sandbox.stop()
        os.environ.clear()
        os.environ.update(self._environ)
        shutil.rmtree(self.dir, ignore_errors=True)
        assert not self.sandbox.errors, "\n".join(self.sandbox.errors)

    # -- the world -----------------------------------------------------------

    @property
    def api(self) -> GitLabApi:
        return self.as_person("salesbot")

    def as_person(self, username: str) -> GitLabApi:
        token = self.sandbox.token_for(username)
        return GitLabApi(Settings(self.sandbox.url, self.sandbox.project_path, token))

    def _write_inputs(self) -> None:
        members = [
            {
                "username": username,
                "name": username.title(),
                "role": PEOPLE[username]["role"],
                "segment": PEOPLE[username]["segment"],
                "region": "AMER",
                "manager": PEOPLE[username]["manager"],
                "start_date": self.starts[username].isoformat(),
                "department": "Commercial",
                "status": status,
            }
            for username, status in self.roster.items()
        ]
        (self.dir / "team.yml").write_text(
            yaml.safe_dump({"version": 1, "members": members}, sort_keys=False), encoding="utf-8"
        )
        (self.dir / "opportunities.csv").write_text(
            HEADER + "".join(self.opportunities.values()), encoding="utf-8"
        )

    def _now(self) -> datetime:
        """Each command a second after the last, so notes order as they were written."""
        return datetime.combine(self.day, time(9), tzinfo=UTC) + timedelta(seconds=self.calls)

    def _cli(self, *args: str) -> int:
        self.calls += 1
        self.sandbox.set_time(self._now())
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return main(
                ["--config", str(self.dir / "salesbot.yml"), "--today", str(self.day), *args]
            )

    def _bot_issues(self) -> list[tuple[Issue, tuple[str, str]]]:
        found = []
        for issue in self.api.iter_issues(state="all"):
            tracked = track(issue, "salesbot")
            if tracked is not None:
                found.append((issue, tracked.key))
        return found

    def _run(self) -> None:
        code = self._cli("run")
        assert code == 0, f"salesbot run exited {code}"
        before = self.sandbox.requests.writes()
        assert self._cli("run") == 0
        assert self.sandbox.requests.writes() == before, "a same-day rerun wrote to GitLab"

    # -- what people do ------------------------------------------------------

    @initialize()
    def first_run(self) -> None:
        self._run()

    @rule(days=st.integers(1, 30))
    def days_pass(self, days: int) -> None:
        self.day += timedelta(days=days)
        self._run()

    @rule(username=st.sampled_from(HIRES), offset=st.integers(-3, 10))
    def hire(self, username: str, offset: int) -> None:
        if username in self.roster:
            return
        self.roster[username] = "active"
        self.starts[username] = self.day + timedelta(days=offset)
        self._write_inputs()
        self._run()

    @rule(username=st.sampled_from(SELLERS), remove=st.booleans())
    def leave(self, username: str, remove: bool) -> None:
        """Marked `left`; a hire may instead be taken off the roster (a seller
        off the roster is someone from another team, who is still nudged)."""
        if self.roster.get(username) != "active":
            return
        if remove and username in ("grace", *HIRES):
            del self.roster[username]
        else:
            self.roster[username] = "left"
        self.departures[username] = self._now() + timedelta(seconds=1)  # the next command
        self._write_inputs()
        self._run()

    @rule(username=st.sampled_from(SELLERS))
    def come_back(self, username: str) -> None:
        if username not in self.departures or self.roster.get(username) == "active":
            return
        self.roster[username] = "active"
        self.starts.setdefault(username, date(2024, 1, 8))
        del self.departures[username]
        self._write_inputs()
        self._run()

    @rule(
        number=st.integers(1, 4),
        owner=st.sampled_from(("bob", "carol")),
        iacv=st.integers(1, 80).map(lambda k: k * 1000),
        close_in=st.integers(0, 120),
        stage=st.sampled_from(STAGES),
    )
    def crm_export(self, number: int, owner: str, iacv: int, close_in: int, stage: str) -> None:
        if self.roster.get(owner) != "active":
            return
        close = self.day + timedelta(days=close_in)
        self.opportunities[f"O{number}"] = (
            f"O{number},Deal {number},Account {number},{owner},SMB,{iacv},{iacv},"
            f"{close.isoformat()},{stage}\n"
        )
        self._write_inputs()
        self._run()

    @rule(
        account=st.sampled_from(ACCOUNTS),
        pair=st.permutations(("bob", "carol", "dave")).map(lambda p: p[:2]),
        crm_id=st.booleans(),
    )
    def handover(self, account: str, pair: list[str], crm_id: bool) -> None:
        if any(self.roster.get(u) != "active" for u in pair):
            return
        extra = ["--account-id", f"CRM-{ACCOUNTS.index(account)}"] if crm_id else []
        args = ["handover", "open", "--account", account, "--from", pair[0], "--to", pair[1]]
        assert self._cli(*args, *extra) == 0
        self.handovers.add((extra[1] if extra else account, str(self.day)))
        self._run()

    @rule(data=st.data(), who=st.sampled_from(("alice", "bob", "carol")), tick=st.booleans())
    def toggle_boxes(self, data: st.DataObject, who: str, tick: bool) -> None:
        issues = [
            (k, i) for i, k in self._bot_issues() if i.state == "opened" and "[" in i.description
        ]
        if not issues:
            return
        issue = data.draw(st.sampled_from(_by_key(issues)))
        lines = issue.description.split("\n")
        boxes = [n for n, line in enumerate(lines) if ("- [ ]" if tick else "- [x]") in line]
        if not boxes:
            return
        chosen = data.draw(st.sets(st.sampled_from(boxes), min_size=1))
        for n in chosen:
            lines[n] = lines[n].replace(*(("- [ ]", "- [x]") if tick else ("- [x]", "- [ ]")), 1)
        self.as_person(who).update_issue(issue.iid, {"description": "\n".join(lines)})
        self._run()

    @rule(data=st.data())
    def remove_a_label(self, data: st.DataObject) -> None:
        labelled = [(k, i) for i, k in self._bot_issues() if any("::" in x for x in i.labels)]
        if not labelled:
            return
        issue = data.draw(st.sampled_from(_by_key(labelled)))
        label = data.draw(st.sampled_from(sorted(x for x in issue.labels if "::" in x)))
        self.as_person("alice").update_issue(issue.iid, {"remove_labels": label})
        self._run()

    @rule(data=st.data())
    def reopen(self, data: st.DataObject) -> None:
        closed = [(k, i) for i, k in self._bot_issues() if i.state == "closed"]
        if not closed:
            return
        issue = data.draw(st.sampled_from(_by_key(closed)))
        self.as_person("alice").update_issue(issue.iid, {"state_event": "reopen"})
        self._run()

    # -- what must always hold -------------------------------------------------

    @invariant()
    def one_open_issue_per_key(self) -> None:
        keys = Counter(key for issue, key in self._bot_issues() if issue.state == "opened")
        assert not [k for k, n in keys.items() if n > 1], f"duplicate open issues: {keys}"

    @invariant()
    def every_handover_asked_for_has_its_issue(self) -> None:
        found = [key for _, key in self._bot_issues() if key[0] == "handover"]
        assert len(found) == len(self.handovers), (
            f"{len(self.handovers)} handovers asked for, {len(found)} issues: {sorted(found)}"
        )

    @invariant()
    def one_label_per_scope(self) -> None:
        for issue, key in self._bot_issues():
            for label in issue.labels:  # what the histories reached (--hypothesis-show-statistics)
                if label.startswith(("status::", "phase::")):
                    event(f"{key[0]} reached {label}")
            scopes = Counter(scope_of(x) for x in issue.labels if scope_of(x))
            doubled = [s for s, n in scopes.items() if n > 1]
            assert not doubled, f"{key} #{issue.iid} has two labels in {doubled}: {issue.labels}"

    @invariant()
    def no_nudge_to_a_departed_member(self) -> None:
        if not self.departures:
            return
        for issue, key in self._bot_issues():
            if not issue.user_notes_count:
                continue
            for note in self.api.iter_notes(issue.iid):
                if note.system or note.author != "salesbot" or "behind plan" not in note.body:
                    continue
                written = datetime.fromisoformat(note.created_at.replace("Z", "+00:00"))
                for username, left in self.departures.items():
                    assert not (f"@{username}" in note.body and written >= left), (
                        f"{key} #{issue.iid} nudged @{username}, who left on {left:%Y-%m-%d}"
                    )


def _by_key(found: list[tuple[tuple[str, str], Issue]]) -> list[Issue]:
    """In business-key order: iids depend on the order concurrent writes landed,
    and hypothesis needs the same choices to draw the same issue."""
    return [issue for _, issue in sorted(found, key=lambda pair: (pair[0], pair[1].iid))]


EXAMPLES = int(os.environ.get("SALESBOT_LOOP_EXAMPLES", "100"))
LOOP_SETTINGS = settings(
    max_examples=EXAMPLES,
    stateful_step_count=10,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


class FreeLoop(Loop):
    premium = False


class PremiumLoop(Loop):
    premium = True


# 100 examples on each tier: 200 in all in `make test`
TestLoopOnFree = FreeLoop.TestCase
TestLoopOnFree.settings = LOOP_SETTINGS
TestLoopOnPremium = PremiumLoop.TestCase
TestLoopOnPremium.settings = LOOP_SETTINGS
