"""JSON bodies read with bounds: nesting depth, number size, no NaN or Infinity."""

from __future__ import annotations

import json
import math
from typing import Any

# Deeper than any record we take (a push is body → mutations → item → data → location):
# enough headroom for real data, far below what would exhaust the stack in later code.
MAX_DEPTH = 32
# Digits of an integer literal. The largest value the API stores is a BIGINT (19 digits);
# Python refuses to convert more than 4,300 digits at all (ValueError).
MAX_INT_DIGITS = 40
# Characters of a number with a fraction or exponent (coordinates, accuracies).
MAX_FLOAT_CHARS = 40


class BodyRefused(ValueError):
    """The body is JSON, but not one the server reads; ``str()`` says why."""


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise BodyRefused(f"A number has more than {MAX_INT_DIGITS} digits.")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_FLOAT_CHARS:
        raise BodyRefused(f"A number is longer than {MAX_FLOAT_CHARS} characters.")
    value = float(text)
    if not math.isfinite(value):
        raise BodyRefused("A number is too large.")
    return value


def _constant(name: str) -> Any:
    # json.loads accepts NaN, Infinity and -Infinity by default; they are not JSON.
    raise BodyRefused(f"{name} is not a JSON number.")


def _depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests containers deeper than ``limit`` (iterative: no recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False


def loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON like :func:`json.loads`, refusing (:class:`BodyRefused`) what is too deep,
    too long a number or not a number at all; malformed JSON still raises
    :class:`json.JSONDecodeError`."""
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        # The C parser gives up on its own long before the stack is at risk.
        raise BodyRefused(f"The body nests deeper than {max_depth} levels.") from None
    if _depth_exceeds(value, max_depth):
        raise BodyRefused(f"The body nests deeper than {max_depth} levels.")
    return value
