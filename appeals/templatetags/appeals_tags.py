from django import template

register = template.Library()


@register.filter
def lookup(mapping, key):
    return mapping.get(key) if mapping else None


@register.simple_tag
def open_appeal_for(user, line):
    """The borrower's open appeal on this line, for "My credit" (None if there is none)."""
    if not getattr(user, "is_authenticated", False) or line is None:
        return None
    from appeals.selectors import open_appeal_for_line

    appeal = open_appeal_for_line(line_id=line.pk)
    return appeal if appeal is not None and appeal.borrower_id == user.pk else None
