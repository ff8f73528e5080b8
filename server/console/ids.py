"""The one converter for database ids in console paths (``<id:user_id>``)."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, Map

from sync.fields import MAX_DB_INT


class IdConverter(IntegerConverter):
    """A database id: 1 to ``MAX_DB_INT`` (what the id columns hold). Anything else
    (``99999999999999999999``, ``0``) matches no route, so it is a 404 page, never a number
    the database cannot take (a 500)."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=MAX_DB_INT)
