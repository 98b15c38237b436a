"""The in-process sandbox's hosted pages (Account Links), served by this app: no other server is running.

Against Stripe, an Account Link's `url` is Stripe's page (connect.stripe.com); against a sandbox server
(`STRIPE_API_BASE`), that server serves it. The in-process sandbox has no address of its own, so this app
serves its pages under the same path and tells it where (`hosted_base`). Registered in sandbox mode only.
The pages stand in for another site, so they carry no CSRF token of ours: their unguessable address is what
a forged post would lack.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, has_request_context, request
from flask.typing import ResponseReturnValue

CLI_BASE = "http://127.0.0.1:5000"  # as `flask accounts link` assumes when PUBLIC_URL is unset

bp = Blueprint("sandbox_pages", __name__)


@bp.route("/_sandbox/connect/setup/c/<account>/<secret>", methods=["GET", "POST"])
def page(account: str, secret: str) -> ResponseReturnValue:
    """Hand a browser's request for an Account Link's page to the in-process sandbox."""
    from stripe_sandbox import Request

    answer = current_app.extensions["stripe_sandbox"].hosted_page(
        Request(request.method, request.path, request.query_string.decode("latin-1"), dict(request.headers),
                request.get_data(), request.remote_addr or "127.0.0.1"))
    return Response(answer.body, answer.status, answer.headers)


def hosted_base(app: Flask) -> str:
    """Return where this app serves the sandbox's pages: `PUBLIC_URL`, else the current request's address."""
    if app.config.get("PUBLIC_URL"):
        return str(app.config["PUBLIC_URL"])
    return request.url_root if has_request_context() else CLI_BASE


def init_app(app: Flask) -> None:
    """Serve the in-process sandbox's hosted pages."""
    app.register_blueprint(bp)
