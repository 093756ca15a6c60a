"""The issue templates, shipped in the package as `automation.bundled_templates`.

This folder is where a team edits the templates; pyproject.toml maps it into
the package (`[tool.setuptools.package-dir]`), so the editable install and the
wheel both read these files with importlib.resources. This file only makes the
folder an importable package: it holds no code.
"""
