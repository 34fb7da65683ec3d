"""The addon's run-time code never imports the emulator (a test and demo tool only): it could
not be left out of an installation, and a forgiving emulator must never stand in for Xero."""

import ast
import pathlib

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNTIME = ["__init__.py", "models", "tasks", "handlers", "controllers", "wizards", "xero_api"]
NOT_RUNTIME = {"emulator", "tests"}


def runtime_files():
    for entry in RUNTIME:
        path = ROOT / entry
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            parts = set(file.relative_to(ROOT).parts)
            if not parts & NOT_RUNTIME and file.name != "pytest_plugin.py":
                yield file


def imported_names(file):
    tree = ast.parse(file.read_text(), str(file))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            yield module
            yield from ("%s.%s" % (module, alias.name) for alias in node.names)


def test_runtime_code_never_imports_the_emulator():
    files = list(runtime_files())
    assert len(files) > 40, "the run-time files were found"
    offenders = [
        "%s: %s" % (file.relative_to(ROOT), name)
        for file in files
        for name in imported_names(file)
        if name.split(".")[0] == "xero_emulator" or "emulator" in name.split(".")
    ]
    assert offenders == []
