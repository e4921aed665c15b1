import html


def text(response) -> str:
    """A response's body as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())
