import logging

from odoo import http
from odoo.exceptions import AccessError, UserError
from odoo.http import request

from ..xero_api import errors as xero_errors

_logger = logging.getLogger(__name__)


class XeroOAuthController(http.Controller):
    @http.route("/xero/oauth/callback", type="http", auth="user", methods=["GET"])
    def xero_oauth_callback(self, code=None, state=None, error=None, **kwargs):
        """Xero's redirect after consent: check ``state``, store the tokens, pick the org.

        Anything but the answer to a request this user started is rejected and logged.
        """
        if error:
            _logger.warning("Xero authorisation refused: %s", error)
            return request.make_response(
                f"Xero refused the authorisation: {error}",
                status=400,
                headers=[("Content-Type", "text/plain; charset=utf-8")],
            )
        try:
            connection = request.env["xero.connection"]._oauth_callback(code, state)
        except (UserError, AccessError, xero_errors.XeroError) as exc:
            message = exc.user_message() if isinstance(exc, xero_errors.XeroError) else str(exc)
            return request.make_response(
                message, status=400, headers=[("Content-Type", "text/plain; charset=utf-8")]
            )
        return request.redirect(
            f"/odoo/action-account_xero_sync.action_xero_connection/{connection.id}"
        )
