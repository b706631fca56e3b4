"""The README documents every setting and every top-level command the code has."""

from __future__ import annotations

from pathlib import Path

from paperfeed.cli import app
from paperfeed.config import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        name for name in Settings.model_fields if f"PAPERFEED_{name.upper()}" not in README
    ]
    assert missing == []


def test_every_command_is_in_the_readme() -> None:
    import typer.main

    group = typer.main.get_command(app)
    names = sorted(group.commands)  # type: ignore[attr-defined]
    missing = [name for name in names if f"paperfeed {name}" not in README]
    assert missing == []


def test_readme_opens_with_the_two_commands() -> None:
    head = README[:1500]
    assert "make demo" in head and "make test" in head


def test_every_package_is_named_in_how_it_is_built() -> None:
    """The README's layout section names every package of src/paperfeed, and every
    package it plans has a place in the import contract."""
    from tests.test_layers import ALLOWED

    section = README[README.index("## How it is built") :]
    src = Path(__file__).parents[1] / "src" / "paperfeed"
    packages = sorted(p.parent.name for p in src.glob("*/__init__.py"))
    assert len(packages) >= 8
    assert [name for name in packages if f"`{name}/`" not in section] == []
    named = {name for name in ALLOWED if f"`{name}/`" in section}
    assert set(packages) <= named
