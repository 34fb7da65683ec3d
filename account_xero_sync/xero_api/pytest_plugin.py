"""pytest plugin for the plain-Python tests (``-p xero_api.pytest_plugin``, see pytest.ini).

The addon folder (``account_xero_sync``) holds an ``__init__.py`` that imports odoo. pytest makes a
``Package`` of every directory holding an ``__init__.py`` and imports it (as ``main``,
``main.xero_api``...) to look for setup functions; that drags odoo in. Collect such
directories as plain directories instead: the tests import ``xero_api`` from ``pythonpath``.
"""

import pytest


def pytest_collect_directory(path, parent):
    """Collect every directory as a plain ``Dir``, never as a ``Package``."""
    if (path / "__init__.py").is_file():
        return pytest.Dir.from_parent(parent, path=path)
    return None
