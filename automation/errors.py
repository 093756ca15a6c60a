"""salesbot's own exceptions.

Library code raises these; only `automation.cli` turns them into exit codes:
1 for anything the user can fix in their input, 2 for GitLab or the network.
Messages are one line, name the file/line/field at fault, and never contain a
token.
"""

from __future__ import annotations


class SalesbotError(Exception):
    """Base class; `exit_code` is what the CLI exits with."""

    exit_code = 1


class InputError(SalesbotError):
    """The user's input is wrong: config, CSV, template data or CLI arguments."""

    exit_code = 1


class ConfigError(InputError):
    """A configuration file is missing, malformed or invalid."""


class TemplateError(InputError):
    """A template is missing, malformed, or needs a variable it was not given."""


class GitLabError(SalesbotError):
    """GitLab refused or failed a request, or could not be reached."""

    exit_code = 2


class AuthError(GitLabError):
    """The token was missing, rejected or lacks a scope."""


class NotFoundError(GitLabError):
    """A project, issue or user does not exist, or the token cannot see it."""


class NotGitLabError(GitLabError):
    """GITLAB_URL answered with a web page, not GitLab's REST API: a proxy, a
    single sign-on login page, or a web server at the wrong address."""
