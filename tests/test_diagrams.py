"""The state diagrams in the README and docs/ are the ones the machines generate now."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOW = "run 'flask --app app workflows diagram' and commit the result"


def test_docs_diagrams_are_fresh():
    from web.cli import diagrams_markdown

    assert diagrams_markdown() in (ROOT / "docs" / "state-diagrams.md").read_text(), HOW


def test_readme_diagrams_are_fresh():
    from web.cli import readme_with_diagrams

    readme = (ROOT / "README.md").read_text()
    assert readme_with_diagrams(readme) == readme, HOW


def test_every_machine_has_a_diagram():
    from workflows.registry import WORKFLOWS

    text = (ROOT / "docs" / "state-diagrams.md").read_text()
    assert text.count("```mermaid") == len(WORKFLOWS)
    assert "DRAFT --> ISSUED: issue" in text and "PROPOSED --> ACTIVE: suspend" in text
