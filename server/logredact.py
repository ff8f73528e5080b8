"""Access logs without personal data: query values are redacted unless known harmless.

A search box sends names and addresses (``?q=张三``) and a cursor is opaque client state;
the access log of the development server (werkzeug) and of gunicorn would otherwise keep
them. Values of parameters outside :data:`SAFE_PARAMETERS` become ``[redacted]``; the
names stay, so a log still shows which filters were used.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

from werkzeug.serving import WSGIRequestHandler

# Ids, page numbers and codes: nothing that identifies or describes a person.
SAFE_PARAMETERS = frozenset(
    {
        "street",
        "community",
        "advisor",
        "separated",
        "state",
        "on",
        "lang",
        "page",
        "page_size",
        "limit",
    }
)
REDACTED = "[redacted]"


def redact_query(query: str) -> str:
    """``query`` (without the ``?``) with every value outside SAFE_PARAMETERS replaced."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    return "&".join(
        f"{quote(name, safe='')}={quote(value, safe='') if name in SAFE_PARAMETERS else REDACTED}"
        for name, value in pairs
    )


def redact_target(target: str) -> str:
    """A request target (``/path?query``) with its query redacted."""
    path, sep, query = target.partition("?")
    return f"{path}{sep}{redact_query(query)}" if sep else target


def redact_url(url: str) -> str:
    """A full URL (a Referer) with its query redacted; anything unparsable entirely."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return REDACTED
    return parts._replace(query=redact_query(parts.query)).geturl() if parts.query else url


def redact_request_line(line: str) -> str:
    """``GET /x?q=… HTTP/1.1`` with its query redacted."""
    method, _, rest = line.partition(" ")
    target, _, version = rest.partition(" ")
    return " ".join(p for p in (method, redact_target(target), version) if p)


class QuietRequestHandler(WSGIRequestHandler):
    """werkzeug's development request handler, minus personal data and the version banner."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug formats the line from self.path (or the raw request line when the
        # request could not be parsed); both are redacted for the log line only.
        path, line = getattr(self, "path", None), self.requestline
        self.requestline = redact_request_line(line)
        if path is not None:
            self.path = redact_target(path)
        try:
            super().log_request(code, size)
        finally:
            self.requestline = line
            if path is not None:
                self.path = path

    def send_header(self, keyword: str, value: str) -> None:
        # ``Server: Werkzeug/3.x Python/3.x`` tells a scanner which exploits to try.
        if keyword.lower() != "server":
            super().send_header(keyword, value)
