"""The folders show the architecture: workflows <- models <- web, scheduler <- app (STYLE.md section 1)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ALLOWED = {
    # package: project packages it may import
    "workflows": {"workflows"},
    "models": {"workflows", "models"},
    "web": {"workflows", "models", "web"},
    "scheduler": {"workflows", "models", "scheduler"},
}
WORKFLOW_THIRD_PARTY = {"transitions", "holidays"}
PROJECT = {"workflows", "models", "web", "scheduler", "app"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_dependencies_point_one_way():
    wrong = []
    for package, allowed in ALLOWED.items():
        for path in (ROOT / package).rglob("*.py"):
            for name in imports(path) & PROJECT:
                if name not in allowed:
                    wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong


def test_workflows_is_pure_python():
    import sys

    stdlib = set(sys.stdlib_module_names)
    wrong = []
    for path in (ROOT / "workflows").rglob("*.py"):
        for name in imports(path):
            if name not in stdlib and name not in WORKFLOW_THIRD_PARTY and name != "workflows":
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, wrong


def test_app_py_has_no_routes_or_queries():
    source = (ROOT / "app.py").read_text()
    assert ".route(" not in source and "select(" not in source and "db.session" not in source
