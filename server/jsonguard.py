"""JSON bodies read with bounds: depth, elements, keys, items, number size, no NaN or Infinity."""

from __future__ import annotations

import json
import math
from typing import Any

# Deeper than any record we take (a push is body → mutations → item → data → location):
# enough headroom for real data, far below what would exhaust the stack in later code.
MAX_DEPTH = 32
# Digits of an integer. The largest value the API stores is a BIGINT (19 digits); Python
# refuses to convert more than 4,300 digits at all (a ValueError, refused here too).
MAX_INT_DIGITS = 40
_INT_LIMIT = 10**MAX_INT_DIGITS
# Values in one body, containers included. A full push (1,000 mutations of about 60 values
# each) has ~60,000; a flood of tiny items would otherwise cost seconds of validation and
# an error answer of megabytes (issue 21: 1.3 million items in a 2.6 kB gzip body).
MAX_ELEMENTS = 200_000
# Keys of one object: no record has more than a few dozen fields.
MAX_KEYS = 200
# Items of one array: the longest list a client sends is a push's mutations (at most
# 1,000, answered field by field by the push's own check).
MAX_ITEMS = 2_000


class BodyRefused(ValueError):
    """The body is JSON, but not one the server reads; ``str()`` says why."""

    status = 400


class BodyTooLarge(BodyRefused):
    """The body holds more values, keys or items than any request needs (413)."""

    status = 413


def _constant(name: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity by default; they are not JSON.
    raise BodyRefused(f"{name} is not a JSON number.")


def _refusal(value: Any, max_depth: int) -> BodyRefused | None:
    """Why ``value`` is out of bounds (too deep, too many values, keys or items), or None.

    Iterative (no recursion), and it stops at the first bound crossed, so a flood costs
    at most :data:`MAX_ELEMENTS` steps."""
    stack, seen = [(value, 1)], 0
    while stack:
        item, depth = stack.pop()
        seen += 1
        if seen > MAX_ELEMENTS:
            return BodyTooLarge(f"The body has more than {MAX_ELEMENTS} values.")
        if isinstance(item, dict):
            if len(item) > MAX_KEYS:
                return BodyTooLarge(f"An object has more than {MAX_KEYS} keys.")
            children = item.values()
        elif isinstance(item, list):
            if len(item) > MAX_ITEMS:
                return BodyTooLarge(f"A list has more than {MAX_ITEMS} items.")
            children = item
        elif isinstance(item, float):
            if not math.isfinite(item):  # 1e999 parses as inf
                return BodyRefused("A number is too large.")
            continue
        elif isinstance(item, int) and not -_INT_LIMIT < item < _INT_LIMIT:
            return BodyRefused(f"A number has more than {MAX_INT_DIGITS} digits.")
        else:
            continue
        if depth > max_depth:
            return BodyRefused(f"The body nests deeper than {max_depth} levels.")
        stack.extend((child, depth + 1) for child in children)
    return None


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON like :func:`json.loads`, refusing (:class:`BodyRefused`) what is too deep,
    too large (values, keys, items), too long a number or not a number at all; malformed
    JSON still raises :class:`json.JSONDecodeError`."""
    # Numbers are checked in the walk below, not by parse_int/parse_float callbacks: a
    # Python call per number would double the parse and make a flood of numbers slow.
    try:
        value = json.loads(text, parse_constant=_constant)
    except (json.JSONDecodeError, BodyRefused):
        raise
    except ValueError:  # an integer past Python's 4,300-digit conversion limit
        raise BodyRefused(f"A number has more than {MAX_INT_DIGITS} digits.") from None
    except RecursionError:
        # The C parser gives up on its own long before the stack is at risk.
        raise BodyRefused(f"The body nests deeper than {max_depth} levels.") from None
    refused = _refusal(value, max_depth)
    if refused is not None:
        raise refused
    return value
