"""The README's Python examples run as written (from the repository root)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
BLOCKS = re.findall(r"```python\n(.*?)```", (REPO / "README.md").read_text(), re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, capsys):
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        exec(compile(BLOCKS[index], f"README.md[python block {index}]", "exec"), {})
    finally:
        os.chdir(cwd)
    assert capsys.readouterr().out  # each example prints what it shows


def test_readme_has_the_two_quick_start_commands():
    text = (REPO / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.*?)\n```", quick, re.S)
    assert len(commands) == 2
    ci = (REPO / ".ci" / "run").read_text()
    assert commands[1] in ci  # .ci/run runs the README's test command verbatim
    assert "pouw node config/pouw-local.toml" in commands[0]
