"""The example configuration, shipped in the package as `automation.example_config`.

pyproject.toml maps this folder into the package, so `salesbot demo` works from
an installed wheel with no config of its own. This file only makes the folder
an importable package: it holds no code.
"""
