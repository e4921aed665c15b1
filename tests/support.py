import html
import re


def text(response) -> str:
    """A response's body as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def plain(response) -> str:
    """The visible words of a page: tags dropped, whitespace collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", text(response))).strip()
