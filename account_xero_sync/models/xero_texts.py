"""Where the messages of the Xero layer (``xero_api/``) enter Odoo: translated into the
user's language.

``xero_api`` cannot import Odoo: it marks its messages with its own ``_lt`` (found by Odoo's
translation export like the addon's) and returns them as ``XeroText``, English text that keeps
its template and arguments (``xero_api/texts.py``). :func:`xero_text` translates the template
with the addon's code translations, then formats it.
"""

from odoo.tools.translate import get_translation

from ..xero_api.errors import mask
from ..xero_api.texts import XeroText

MODULE = "account_xero_sync"


def xero_text(env, value):
    """``value`` in ``env``'s language: a message of the Xero layer (a ``XeroText``, or the
    ``XeroError`` / ``PayloadError`` carrying one) translated; any other text as it is."""
    secret = False  # an error's text is masked again once translated (``errors.mask``)
    if isinstance(value, BaseException):
        if hasattr(value, "user_message"):
            value, secret = value.user_message(), True
        else:
            value = value.args[0] if len(value.args) == 1 else str(value)
    if not isinstance(value, XeroText):
        return value
    text = _translate(env.lang or "en_US", value)
    return mask(text) if secret else text


def xero_texts(env, values):
    """:func:`xero_text` of each of ``values`` (a list of warnings, notes)."""
    return [xero_text(env, value) for value in values]


def _translate(lang, text):
    if not isinstance(text, XeroText):
        return text
    args = text.args
    if isinstance(args, dict):
        args = {key: _translate(lang, arg) for key, arg in args.items()}
    else:
        args = tuple(_translate(lang, arg) for arg in args)
    translation = get_translation(MODULE, lang, text.template, args)
    return translation if text.stripped is False else translation.rstrip(text.stripped)
