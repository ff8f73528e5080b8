"""The API's human-readable docs page: Swagger UI served from an installed package.

The assets come from the ``flask-swagger-ui`` distribution's ``dist`` folder (Swagger UI
5, which reads OpenAPI 3.1), never from a CDN: a street office may have no internet, and
a script fetched from elsewhere at run time is code nobody reviewed. The page runs no
inline script, so its Content-Security-Policy allows scripts from this server only.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from flask import Blueprint, Flask, Response, send_from_directory, url_for

DOCS_PREFIX = "/api/v1/docs"
ASSETS = Path(str(files("flask_swagger_ui") / "dist"))
OWN_ASSETS = Path(__file__).parent / "static" / "docs"
# Swagger UI sets style attributes on its elements, hence 'unsafe-inline' for styles only.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>Tanfang API</title>
  <link rel="stylesheet" href="{css}">
</head>
<body data-openapi="{spec}">
  <div id="swagger-ui"></div>
  <script src="{bundle}"></script>
  <script src="{init}"></script>
</body>
</html>
"""

blp = Blueprint("docs_page", __name__, url_prefix=DOCS_PREFIX)


@blp.get("")
def page() -> Response:
    """The docs page."""
    html = _PAGE.format(
        css=url_for(".asset", name="swagger-ui.css"),
        bundle=url_for(".asset", name="swagger-ui-bundle.js"),
        init=url_for(".own_asset", name="init.js"),
        spec=url_for("api-docs.openapi_json"),
    )
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": CSP})


@blp.get("/assets/<path:name>")
def asset(name: str) -> Response:
    """A file of the installed Swagger UI distribution."""
    return send_from_directory(ASSETS, name, max_age=86400)


@blp.get("/own/<path:name>")
def own_asset(name: str) -> Response:
    """The page's own start-up script."""
    return send_from_directory(OWN_ASSETS, name, max_age=3600)


def init_app(app: Flask) -> None:
    """Serve the docs page and its assets."""
    app.register_blueprint(blp)
