"""`python -m automation` is the same as the `salesbot` command."""

from automation.cli import entrypoint

entrypoint()
