"""salesbot: a sales team's recurring workflows, run as GitLab issues."""

__version__ = "0.1.0"
