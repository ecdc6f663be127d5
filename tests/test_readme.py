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


def test_readme_config_table_lists_every_key_with_its_default():
    # the table once missed keys the config accepts; now each key and its default
    # is read from NodeConfig and must be in the table
    from dataclasses import fields

    from pouw.node import NodeConfig
    from pouw.node.config import _KEY_OF_FIELD

    text = (REPO / "README.md").read_text()
    table = text.split("| key | default | meaning |", 1)[1].split("\n\n", 1)[0]
    rows = {}
    for line in table.splitlines()[2:]:
        keys_cell, default_cell = line.split("|")[1:3]
        keys = re.findall(r"`([a-z_.]+)`", keys_cell)
        defaults = default_cell.split(",") if len(keys) > 1 else [default_cell]
        rows.update(zip(keys, (d.strip() for d in defaults), strict=True))
    default = NodeConfig()
    for f in fields(NodeConfig):
        if f.name == "source":
            continue
        key = _KEY_OF_FIELD[f.name]
        assert key in rows, f"README's config table lacks {key}"
        value = getattr(default, f.name)
        value = getattr(value, "value", value)
        shown = rows[key].strip().strip("`").strip('"')
        if isinstance(value, bool):
            assert shown == str(value).lower(), key
        elif isinstance(value, int):
            words = {"16 MiB": 16 << 20, "10^12": 10**12}
            assert words.get(shown) == value or shown.replace(",", "") == str(value), key
        elif value is None or value == ():
            assert shown in ("none", "empty"), key
        else:
            assert shown == str(value), key
