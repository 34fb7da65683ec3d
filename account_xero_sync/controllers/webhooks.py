from odoo import http
from odoo.http import request


class XeroWebhookController(http.Controller):
    @http.route(
        "/xero/webhook/<string:token>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def xero_webhook(self, token, **kwargs):
        """Xero's webhook delivery: 200 with an empty body for a correct signature, else 401.

        ``auth="public"``: Xero has no session, and the route needs the database (as Odoo's own
        payment webhooks do); no session is saved for it. The raw body is read as it came, since
        the signature covers its exact bytes; see ``xero.connection._xero_webhook_receive``.
        """
        status = (
            request.env["xero.connection"]
            .sudo()
            ._xero_webhook_receive(
                token,
                request.httprequest.get_data(),
                request.httprequest.headers.get("x-xero-signature"),
            )
        )
        return request.make_response("", status=status)
