from . import controllers, handlers, models, wizards
