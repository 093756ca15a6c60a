"""`SandboxOptions`: the sandbox's behaviour a test may switch mid-run."""

from __future__ import annotations

from dataclasses import dataclass

from automation.sandbox.system_notes import ChecklistNotes


@dataclass
class SandboxOptions:
    """Behaviour a test may switch mid-run (`sandbox.options.fault_rate = 0.5`)."""

    premium: bool = False
    rate_limit: int | None = None  # requests per window per token or per IP; None: unlimited
    fault_rate: float = 0.0  # fraction of requests answered 502/503 before GitLab sees them
    commit_then_fail_rate: float = 0.0  # fraction of writes carried out, then answered 502
    latency: float = 0.0  # seconds added to every request
    rate_window: float = 60.0  # GitLab throttles per minute; tests may shorten it
    # The text of "marked the checklist item **TEXT** as completed": "escaped" is
    # GitLab.com's (Markdown punctuation backslash-escaped, an HTML comment's
    # inner text kept as plain text), the least convenient; "raw" the item's
    # Markdown source as typed.
    checklist_notes: ChecklistNotes = "escaped"
