"""gzip on the wire: compressed request bodies in (size-capped), compressed JSON out."""

from __future__ import annotations

import gzip
import io
import json
import zlib

from flask import Flask, Response, request

from server.errors import error_body

MIN_COMPRESS = 1024


class GzipRequestMiddleware:
    """Inflate ``Content-Encoding: gzip`` request bodies before Flask sees them.

    The inflated size is capped (``limit`` bytes) while inflating, so a small "gzip bomb"
    cannot exhaust memory: past the cap the request is answered 413 at once.
    """

    def __init__(self, app, limit: int):
        self.app = app
        self.limit = limit

    def __call__(self, environ, start_response):
        if environ.get("HTTP_CONTENT_ENCODING", "").strip().lower() != "gzip":
            return self.app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self.limit:
            return _error(start_response, 413, "The compressed body is too large.")
        packed = environ["wsgi.input"].read(length) if length else b""
        try:
            body = _inflate(packed, self.limit)
        except ValueError:
            return _error(start_response, 413, "The body is too large once decompressed.")
        except (OSError, EOFError, zlib.error):
            return _error(start_response, 400, "The body is not valid gzip data.")
        environ = {**environ, "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))}
        environ.pop("HTTP_CONTENT_ENCODING", None)
        return self.app(environ, start_response)


def _inflate(packed: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    body = inflater.decompress(packed, limit + 1)
    if len(body) > limit or inflater.unconsumed_tail:
        raise ValueError("too large")
    if not inflater.eof:
        raise EOFError("truncated gzip stream")
    return body


def _error(start_response, status: int, message: str):
    payload = json.dumps(error_body(status, message)).encode()
    phrase = {400: "400 BAD REQUEST", 413: "413 REQUEST ENTITY TOO LARGE"}[status]
    start_response(
        phrase, [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def init_app(app: Flask) -> None:
    """Inflate gzip requests (capped at MAX_CONTENT_LENGTH) and compress JSON responses."""
    app.wsgi_app = GzipRequestMiddleware(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"])

    @app.after_request
    def _compress(response: Response) -> Response:
        if (
            "gzip" not in request.headers.get("Accept-Encoding", "").lower()
            or response.direct_passthrough
            or response.mimetype != "application/json"
            or "Content-Encoding" in response.headers
            or response.content_length is None
            or response.content_length < MIN_COMPRESS
        ):
            return response
        response.set_data(gzip.compress(response.get_data(), compresslevel=5))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
