"""No personal data in log lines: emails, phone numbers and ID-card numbers are masked in the
message, its arguments, the `extra` fields and the traceback before any handler writes them.

Attached to every handler in settings.LOGGING, so the JSON lines shipped to a log store carry
`l***@example.com` and `138****1234`, never the full value. Masking follows the admin's
(accounts.privacy); it is written again here because config sits below the apps.
"""

from __future__ import annotations

import logging
import re

EMAIL = re.compile(r"(?<![\w.+-])([\w.+-])[\w.+-]*@([\w-]+(?:\.[\w-]+)+)")
# A Chinese resident ID number (18 characters), before phones so its digits are not cut.
ID_CARD = re.compile(r"(?<!\d)(\d{6})\d{8}(\d{3}[\dXx])(?![\dXx])")
# +<country><number> (8–15 digits) or a bare mainland mobile number (11 digits, 1[3-9]...).
PHONE = re.compile(
    r"(?<![\w+])(?:\+86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)"
    r"|(?<![\w+])\+(\d{1,3})[ -]?\d{4,10}(\d{4})(?!\d)"
)

# Attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def _phone(match: re.Match) -> str:
    if match.group(1):
        return f"{match.group(1)}****{match.group(2)}"
    return f"+{match.group(3)} ****{match.group(4)}"


def mask_text(text: str) -> str:
    text = EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
    text = ID_CARD.sub(lambda m: f"{m.group(1)}********{m.group(2)}", text)
    return PHONE.sub(_phone, text)


def _mask_value(value):
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask_value(v) for v in value)
    return value


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template, masked
            message = str(record.msg)
        record.msg, record.args = mask_text(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            # Formatters then print the masked text (the JSON one would format exc_info again).
            record.exc_text, record.exc_info = mask_text(record.exc_text), None
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _mask_value(value))
        return True
