"""Response headers every answer carries: no sniffing, and no caching of personal data."""

from __future__ import annotations

from flask import Flask, Response, request

# The machine-readable contract and the docs page hold no personal data; they may be cached.
_CACHEABLE = ("/api/v1/openapi.json", "/api/v1/docs")


def secure_headers(response: Response) -> Response:
    """``nosniff`` everywhere; ``no-store`` on API answers (households, members, visits,
    tokens: a shared tablet's or proxy's cache must not keep them)."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    path = request.path
    if path.startswith("/api/") and not path.startswith(_CACHEABLE):
        response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Add the headers to every response, errors included."""
    app.after_request(secure_headers)
