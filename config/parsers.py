"""The API's JSON parser: DRF's, with a bound on nesting.

Python's decoder recurses once per level; a body of a thousand `[` used to raise
RecursionError and answer 500, before authentication even ran on some endpoints. No Recourse
payload nests deeper than a few levels, so anything past MAX_DEPTH is a clear 400.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 32


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_too_deep()) from None
        if _depth_exceeds(data, MAX_DEPTH):
            raise ParseError(_too_deep())
        return data


def _too_deep() -> str:
    return f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def _depth_exceeds(data, limit: int) -> bool:
    """Whether lists and objects nest deeper than `limit` (iterative: no recursion here).
    Walks one level at a time, keeping only the containers: a 1,000-event batch holds ~2,000
    containers among ~10,000 scalars."""
    level = [data] if isinstance(data, (dict, list)) else []
    depth = 1
    while level:
        if depth > limit:
            return True
        below = []
        for value in level:
            children = value.values() if isinstance(value, dict) else value
            below.extend([child for child in children if isinstance(child, (dict, list))])
        level = below
        depth += 1
    return False
