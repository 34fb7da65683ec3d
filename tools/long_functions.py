"""List the functions of the addon longer than N lines, longest first.

Usage: python tools/long_functions.py [N] [ROOT]   (N defaults to 60, ROOT to account_xero_sync)

A function's length is the lines from its ``def`` (decorators excluded) to its last line,
docstring included. Test folders (``tests/``) are left out. Issue #22 asks for no function
over about 60 lines without a reason said in its docstring.
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def long_functions(root, limit):
    """Return (lines, path, qualified name) for each function over ``limit`` lines."""
    found = []
    for path in sorted(Path(root).rglob("*.py")):
        if "tests" in path.relative_to(root).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        found.extend(_walk(tree, path.relative_to(root.parent), "", limit))
    return sorted(found, key=lambda row: (-row[0], str(row[1]), row[2]))


def _walk(node, path, prefix, limit):
    """Yield the long functions under ``node``, named Class.method or outer.inner."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                lines = child.end_lineno - child.lineno + 1
                if lines > limit:
                    yield lines, path, name
            yield from _walk(child, path, name + ".", limit)
        else:
            yield from _walk(child, path, prefix, limit)


def main(argv):
    """Print the long functions and return how many there are."""
    limit = int(argv[1]) if len(argv) > 1 else 60
    root = Path(argv[2]).resolve() if len(argv) > 2 else ROOT / "account_xero_sync"
    rows = long_functions(root, limit)
    for lines, path, name in rows:
        print(f"{lines:5d}  {path}:{name}")
    print(f"{len(rows)} function(s) over {limit} lines")
    return len(rows)


if __name__ == "__main__":
    main(sys.argv)
