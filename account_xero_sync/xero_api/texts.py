"""Messages this layer writes for users, kept translatable without importing Odoo.

A message is built with :func:`_lt`: ``_lt("%s has no lines.", label)``. The name is the one
Odoo's translation export looks for (``_lt(`` calls, with ``_(``, in the module's ``.py``
files), so every template marked here lands in ``i18n/account_xero_sync.pot``. What ``_lt``
returns is a :class:`XeroText`: a ``str`` holding the English text, so this layer, its tests
and its logs read it as before, which also keeps the template and its arguments: where the
message enters Odoo, the addon translates the template into the user's language, then formats
it with the arguments, themselves translated when they are messages too
(``models/xero_texts.py``).
"""


class XeroText(str):
    """The English text of a user message, with ``template`` and ``args`` (a tuple, or a dict
    for named placeholders) kept for its translation; ``stripped``: the characters
    ``rstrip`` takes off its end (False: none, None: white space)."""

    def __new__(cls, template, args=(), stripped=False):
        text = template % args if args else template
        if stripped is not False:
            text = text.rstrip(stripped)
        text = super().__new__(cls, text)
        text.template = template
        text.args = args
        text.stripped = stripped
        return text

    def __getnewargs__(self):
        return (self.template, self.args, self.stripped)

    def rstrip(self, chars=None):
        """``str.rstrip`` that keeps the message translatable (the translation is stripped
        the same way)."""
        return XeroText(self.template, self.args, chars)


def _lt(template, *args, **kwargs):
    """Mark ``template`` (a literal) for translation and format it with ``args`` or
    ``kwargs``, as Odoo's ``_()`` does; the text stays translatable (:class:`XeroText`)."""
    assert not (args and kwargs), "positional or named arguments, not both"
    return XeroText(template, args or kwargs)


def join_texts(separator, texts):
    """``separator.join(texts)`` that keeps each message translatable."""
    texts = list(texts)
    template = separator.replace("%", "%%").join(["%s"] * len(texts))
    return XeroText(template, tuple(texts)) if texts else ""
