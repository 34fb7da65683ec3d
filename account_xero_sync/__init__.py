# ruff: noqa: I001 - the layers from the bottom up: core records and extensions, the task
# machinery, the handlers above it, then the screens and the endpoints that use them.
from . import models, tasks, handlers, wizards, controllers
