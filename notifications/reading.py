"""The inbox read in the reader's current language: each message is rendered again from its
event and stored context when it is read, so switching language switches every message (the
text stored when it was sent stays as the record of what was sent)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from jinja2 import TemplateNotFound

from .models import Notification
from .registry import Channel, RegistryError, registry
from .rendering import NotificationContextError, render, validate_context

logger = logging.getLogger(__name__)


def in_language(messages: Iterable[Notification], *, language: str, user) -> list[Notification]:
    """Set `shown_subject`, `shown_text` and `shown_excerpt` on each inbox message, in
    `language`. A message whose event or context can no longer be rendered keeps the text it
    was sent with."""
    shown = []
    for message in messages:
        message.shown_subject, message.shown_text = message.subject, message.body_text
        if message.language != language:
            try:
                spec = registry.event(message.event)
                rendered = render(
                    spec=spec,
                    channel=Channel.INBOX,
                    context=validate_context(spec, message.context),
                    language=language,
                    time_zone=user.time_zone,
                    recipient_name=user.full_name,
                    site_url=settings.SITE_URL,
                    link=message.link,
                )
                message.shown_subject, message.shown_text = rendered.subject, rendered.text
            except (RegistryError, NotificationContextError, TemplateNotFound):
                logger.warning("Inbox message %s shown as sent", message.pk, exc_info=True)
        message.shown_excerpt = message.shown_text.strip().split("\n\n", 1)[0]
        shown.append(message)
    return shown
