"""Give Back adoption in the report: the JSON sub-model (`ReportDoc.give_back_adoption`)
and the Markdown lines the report and the dashboard show under the Give Back
table (the HTML report renders the same `Adoption` in its template)."""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from automation.adoption import Adoption, Month, Project, month_title
from automation.neutralise import neutralise


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AdoptionMonthDoc(_Model):
    month: str = Field(description="YYYY-MM")
    roll_call_iid: int
    url: str
    members: int = Field(description="boxes on the month's roll-call (the hire's team)")
    used: list[str] = Field(description="usernames who ticked their own box")
    rate: float = Field(description="used / members, 0.0 to 1.0")
    complete: bool = Field(description="false: the month is still running")
    under_target: bool


class AdoptionProjectDoc(_Model):
    key: str
    iid: int = Field(description="the Give Back issue")
    title: str
    url: str
    hire: str
    manager: str | None
    months: list[AdoptionMonthDoc] = Field(description="oldest first")
    flagged: bool = Field(description="under target in each of its last two complete months")


class GiveBackAdoptionDoc(_Model):
    """Give Back adoption per project and month, from the monthly roll-calls."""

    target: float = Field(description="the handbook's 70%, as 0.7")
    projects: list[AdoptionProjectDoc]


def _month(month: Month) -> AdoptionMonthDoc:
    return AdoptionMonthDoc(
        month=month.month,
        roll_call_iid=month.iid,
        url=month.url,
        members=month.members,
        used=list(month.used),
        rate=round(month.rate, 4),
        complete=month.complete,
        under_target=month.under,
    )


def _project(project: Project) -> AdoptionProjectDoc:
    return AdoptionProjectDoc(
        key=project.key,
        iid=project.iid,
        title=project.title,
        url=project.url,
        hire=project.hire,
        manager=project.manager,
        months=[_month(m) for m in project.months],
        flagged=project.flagged,
    )


def adoption_doc(found: Adoption | None) -> GiveBackAdoptionDoc | None:
    if found is None:
        return None
    return GiveBackAdoptionDoc(target=found.target, projects=[_project(p) for p in found.projects])


def _share(month: Month) -> str:
    mark = "below target" if month.under else "on target"
    so_far = "" if month.complete else " so far"
    return f"{len(month.used)} of {month.members} ({int(month.rate * 100)}%{so_far}, {mark})"


def adoption_markdown(found: Adoption | None, keys: Iterable[str], level: str) -> list[str]:
    """The roll-call figures of these Give Back projects (a manager's, or all),
    projects under target two months running first, as lines to flag."""
    if found is None:
        return []
    wanted = set(keys)
    projects = [p for p in found.projects if p.key in wanted]
    if not projects:
        return []
    lines = ["", f"{level} Give Back roll-call (target: {int(found.target * 100)}% a month)", ""]
    for project in (p for p in projects if p.flagged):
        manager = neutralise(project.manager or "no manager", "text")
        lines.append(
            f"- ⚠️ **Under target two months running:** [{neutralise(project.title, 'text')}]"
            f"({project.url}) (manager {manager})"
        )
    if any(p.flagged for p in projects):
        lines.append("")
    lines += ["| Project | Month | Used by | Roll-call |", "|---|---|---|---|"]
    for project in projects:
        title = neutralise(project.title, "table")
        for month in project.months:
            lines.append(
                f"| [{title}]({project.url}) | {month_title(month.month)} | {_share(month)} "
                f"| [#{month.iid}]({month.url}) |"
            )
    return lines
