"""gunicorn's access log without personal data (see :mod:`server.logredact`)."""

from __future__ import annotations

from gunicorn.glogging import Logger

from server.logredact import REDACTED, redact_query, redact_target, redact_url

# Header and environ atoms (``%({referer}i)s``, ``%({query_string}e)s``) that carry a URL,
# a query or credentials; a custom access_log_format could name any of them.
_URL_ATOMS = ("{referer}i", "{http_referer}e")
_TARGET_ATOMS = ("{raw_uri}e", "{request_uri}e")
_QUERY_ATOMS = ("{query_string}e",)
_SECRET_ATOMS = ("{authorization}i", "{cookie}i", "{http_authorization}e", "{http_cookie}e")


class RedactingLogger(Logger):
    """Access-log atoms with query values redacted and credentials left out."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        method, _, rest = atoms["r"].partition(" ")
        target, _, version = rest.partition(" ")
        atoms["r"] = f"{method} {redact_target(target)} {version}"
        atoms["q"] = redact_query(atoms.get("q") or "")
        if atoms.get("f") not in (None, "-"):
            atoms["f"] = redact_url(atoms["f"])
        for keys, redact in (
            (_URL_ATOMS, redact_url),
            (_TARGET_ATOMS, redact_target),
            (_QUERY_ATOMS, redact_query),
            (_SECRET_ATOMS, lambda _value: REDACTED),
        ):
            for key in keys:
                if key in atoms:
                    atoms[key] = redact(atoms[key])
        return atoms
