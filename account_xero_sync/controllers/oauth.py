import logging
import re

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from ..models.xero_texts import xero_text
from ..xero_api import errors as xero_errors

_logger = logging.getLogger(__name__)
CALLBACK = "/xero/oauth/callback"
_CODE = re.compile(r"([?&]code=)[^&\s\"]+")


class _MaskCallbackCode(logging.Filter):
    """Odoo's access log (the ``werkzeug`` logger) writes each request's URL: the OAuth
    callback's carries Xero's authorization code, which is masked (it is single use and
    short-lived, but a secret all the same)."""

    def filter(self, record):
        if record.args and isinstance(record.args, tuple):
            record.args = tuple(
                _CODE.sub(r"\1***", arg) if isinstance(arg, str) and CALLBACK in arg else arg
                for arg in record.args
            )
        return True


if not any(isinstance(f, _MaskCallbackCode) for f in logging.getLogger("werkzeug").filters):
    logging.getLogger("werkzeug").addFilter(_MaskCallbackCode())


class XeroOAuthController(http.Controller):
    @http.route(CALLBACK, type="http", auth="user", methods=["GET"])
    def xero_oauth_callback(
        self, code=None, state=None, error=None, error_description=None, **kwargs
    ):
        """Xero's redirect after consent: check ``state``, store the tokens, pick the org.

        Anything but the answer to a request this user started is rejected and logged.
        """
        if error:
            # Xero's reason (e.g. an uncertified app at its limit of organisations) is the
            # user's next step: shown as Xero gives it.
            reason = f"{error}: {error_description}" if error_description else error
            _logger.warning("Xero authorisation refused: %s", reason)
            return request.make_response(
                request.env._("Xero refused the authorisation: %(reason)s", reason=reason),
                status=400,
                headers=[("Content-Type", "text/plain; charset=utf-8")],
            )
        try:
            connection = request.env["xero.connection"]._oauth_callback(code, state)
        except (UserError, AccessError, xero_errors.XeroError) as exc:
            message = xero_text(request.env, exc)  # a XeroError's message translated
            return request.make_response(
                message, status=400, headers=[("Content-Type", "text/plain; charset=utf-8")]
            )
        return request.redirect(
            f"/odoo/action-account_xero_sync.action_xero_connection/{connection.id}"
        )
