"""Does a reply meant for the borrower look like an internal remark? (issue 11, optional)

With `DESK_CONFIRM_INTERNAL_LOOKING_REPLIES` on (off by default), a reply to the borrower
whose text has one of these signs is not sent at once: the composer shows it again with the
signs found and asks "send it to the borrower anyway, or save it as an internal note?".
The signs are deliberately few and plain (a false alarm costs one click):

- words staff use for notes to each other: "internal", "note to self", "TODO", "FIXME",
  "staff only", "do not send", "don't tell", and in Chinese 内部, 备忘, 待办, 仅限员工, 勿发,
  不要告诉;
- an @mention (an "@" starting a word, not inside an email address);
- the full name of another member of staff (not the author's own: signing a reply is fine).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import get_user_model

_WORDS = re.compile(
    r"\binternal\b|\bnote to self\b|\bTODO\b|\bFIXME\b|\bstaff only\b|\bdo not send\b"
    r"|\bdon[’']t tell\b|内部|备忘|待办|仅限员工|勿发|不要告诉",
    re.IGNORECASE,
)
_MENTION = re.compile(r"(?<![\w.])@\w+")


def enabled() -> bool:
    return bool(getattr(settings, "DESK_CONFIRM_INTERNAL_LOOKING_REPLIES", False))


def internal_signs(text: str, *, author=None) -> list[str]:
    """The signs in `text` that it is an internal remark (empty: it reads like a reply)."""
    found = [m.group(0) for m in _WORDS.finditer(text)]
    found += [m.group(0) for m in _MENTION.finditer(text)]
    folded = text.casefold()
    staff = get_user_model().objects.filter(is_staff=True, is_active=True)
    if author is not None:
        staff = staff.exclude(pk=author.pk)
    for name in staff.exclude(full_name="").values_list("full_name", flat=True):
        if len(name.strip()) >= 2 and name.strip().casefold() in folded:
            found.append(name.strip())
    return list(dict.fromkeys(found))
