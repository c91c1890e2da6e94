"""The distribution's name, and documentation that works in a user's clone or installation."""

import importlib.metadata
import re
import tomllib

import click
import typer.main
from typer.testing import CliRunner

import tagger
from tagger.cli import app

from .support import REPO

DISTRIBUTION = "fangkong-tagger"
# Paths that exist only beside this repository on the machines it was written on.
OUTSIDE = re.compile(r"\.\./shared|/work/|shared/data")


def test_the_distribution_name_is_fangkong_tagger() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    assert project["name"] == DISTRIBUTION
    assert project["scripts"] == {"tagger": "tagger.cli:main"}
    assert importlib.metadata.version(DISTRIBUTION) == tagger.__version__


def test_the_readme_says_how_to_install_from_a_clone_and_from_a_wheel() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    assert f"pip install {DISTRIBUTION}" in readme
    assert "pip install ." in readme
    assert "pip wheel --no-deps . -w dist" in readme
    assert re.search(r"pip install fangkong_tagger-[\d.]+-py3-none-any\.whl", readme)
    assert 'pip install "tagger[' not in readme  # extras go by the distribution's name


def test_the_readme_and_docs_name_no_path_beside_the_repository() -> None:
    for page in [REPO / "README.md", *(REPO / "docs").glob("*.md")]:
        text = page.read_text("utf-8")
        assert [line for line in text.splitlines() if OUTSIDE.search(line)] == [], page.name


def test_no_help_text_names_a_path_beside_the_repository() -> None:
    command = typer.main.get_command(app)
    assert isinstance(command, click.Group)
    runner = CliRunner()
    names = [[], *([name] for name in command.commands)]
    assert len(names) > 8
    for name in names:
        result = runner.invoke(app, [*name, "--help"], terminal_width=200)
        assert result.exit_code == 0, result.output
        assert not OUTSIDE.search(result.output), (name, result.output)
