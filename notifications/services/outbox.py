"""notify(): the outbox rows one event makes, written in the caller's transaction, and the
queueing of their delivery on commit."""

import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from config.copy_values import copy_create, copy_values

from .. import engine
from ..models import Notification, Preference, Status
from ..registry import Audience, CategorySpec, Channel, EventSpec, registry
from ..rendering import NotificationContextError, RenderJob, render_many, validate_context

logger = logging.getLogger(__name__)


def quiet_hours() -> engine.QuietHours:
    return engine.QuietHours(
        start=engine.parse_clock(settings.NOTIFICATIONS_QUIET_HOURS_START),
        end=engine.parse_clock(settings.NOTIFICATIONS_QUIET_HOURS_END),
    )


def _object_key(obj, dedupe_key: str, rule_key: str) -> tuple[ContentType | None, str, str]:
    if obj is not None:
        if getattr(obj, "pk", None) is None:
            raise ValueError("notify(obj=...) needs a saved model instance")
        object_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
        object_id = str(obj.pk)
        key = dedupe_key or f"{object_type.app_label}.{object_type.model}:{object_id}"
        return object_type, object_id, key
    if dedupe_key or rule_key:
        return None, "", dedupe_key or rule_key
    # No object, no key, no rule: every call is a new message (nothing to be a duplicate of).
    return None, "", f"once:{uuid4().hex}"


def _clean_link(link: str | None, default: str) -> str:
    link = link or default
    if not link.startswith("/") or link.startswith("//") or any(c.isspace() for c in link):
        raise NotificationContextError(f"link must be a path on this site, got {link!r}")
    return link


@dataclass(frozen=True)
class Notice:
    """One event to tell one recipient, as `notify()` takes it (for `notify_many`)."""

    recipient: Any
    event: str
    context: dict
    obj: Any = None
    dedupe_key: str | None = None
    link: str | None = None


@transaction.atomic
def notify(
    *,
    recipient,
    event: str,
    context: dict,
    obj=None,
    dedupe_key: str | None = None,
    link: str | None = None,
) -> list[Notification]:
    """Tell `recipient` about `event`: one outbox row per channel the event's rules and the
    recipient's preferences call for, written in the caller's transaction.

    - The same (event, key, channel, recipient) never makes a second row: calling twice
      returns [] the second time. The key is `dedupe_key`, else `obj`'s content type and pk,
      else the event's declared dedupe rule filled from the context.
    - Content is rendered now, in the recipient's language and time zone, and stored.
    - Inbox rows are delivered by being written. Email and SMS are queued when the caller's
      transaction commits; a rollback leaves nothing and queues nothing.
    - SMS waits for the end of quiet hours in the recipient's time zone; a legal notice still
      reaches the inbox (and email) at once.
    Returns the rows it created. Raises NotificationContextError for a bad context or link,
    RegistryError (a ValueError) for an event no app registered, ValueError for a staff event
    sent to a borrower (and vice versa). Nothing is written when it raises.
    """
    return notify_many(
        [
            Notice(
                recipient=recipient,
                event=event,
                context=context,
                obj=obj,
                dedupe_key=dedupe_key,
                link=link,
            )
        ]
    )


@dataclass
class _Checked:
    """A notice validated: what its rows share."""

    notice: Notice
    spec: EventSpec
    category: CategorySpec
    typed_context: dict
    link: str
    object_type: ContentType | None
    object_id: str
    key: str


def _check(notice: Notice) -> _Checked:
    spec = registry.event(notice.event)
    category = registry.category(spec.category)
    if (spec.audience == Audience.STAFF) != bool(notice.recipient.is_staff):
        raise ValueError(f"{spec.name} is for {spec.audience} recipients only")
    typed_context = validate_context(spec, notice.context)
    link = _clean_link(notice.link, spec.default_link)
    object_type, object_id, key = _object_key(
        notice.obj, notice.dedupe_key or "", spec.dedupe_key_from(notice.context)
    )
    if len(key) > 200:
        raise ValueError("dedupe_key is longer than 200 characters")
    return _Checked(notice, spec, category, typed_context, link, object_type, object_id, key)


@transaction.atomic
def notify_many(notices: Sequence[Notice], *, new_objects: bool = False) -> list[Notification]:
    """`notify()` for many notices at once (a batch's decisions): the same rows, content,
    keys, preferences and quiet hours as one call each, in a few statements however many.

    Every notice is checked before anything is written (one bad notice raises, as `notify`
    does, and nothing is written). Preferences and existing rows are read in one query each;
    the rows are rendered grouped by event, channel, language and time zone, and written in
    one statement on PostgreSQL (COPY into a scratch table, one INSERT from it that skips a
    row a concurrent twin wrote first). Returns the rows created, in the notices' order.

    `new_objects`: every notice is about an object created in the caller's transaction and
    keyed by it (a chunk's new decisions), so no other caller can have written its rows: the
    existing rows are not read and the rows go straight into the table by COPY (a row that
    did exist would break the unique index and roll the caller back, not be skipped).
    """
    checked = [_check(notice) for notice in notices]
    if not checked:
        return []
    if new_objects and any(c.notice.obj is None or c.notice.dedupe_key for c in checked):
        raise ValueError("new_objects: every notice must be keyed by the object it is about")
    recipients = {c.notice.recipient.pk: c.notice.recipient for c in checked}
    preferences: dict[int, dict[tuple[str, str], bool]] = defaultdict(dict)
    for user_id, category, channel, enabled in Preference.objects.filter(
        user_id__in=list(recipients), category__in={c.spec.category for c in checked}
    ).values_list("user_id", "category", "channel", "enabled"):
        preferences[user_id][(category, channel)] = enabled
    existing = (
        set()
        if new_objects
        else set(
            Notification.objects.filter(
                recipient_id__in=list(recipients),
                event__in={c.spec.name for c in checked},
                dedupe_key__in={c.key for c in checked},
            ).values_list("recipient_id", "event", "dedupe_key", "channel")
        )
    )
    now = timezone.now()
    quiet = quiet_hours()
    site_url = settings.SITE_URL
    # (checked notice, channel) of each row to write, the first of twins only.
    planned: list[tuple[_Checked, Channel]] = []
    for c in checked:
        recipient = c.notice.recipient
        wanted = engine.channels_to_use(
            spec=c.spec,
            category=c.category,
            preferences=preferences.get(recipient.pk, {}),
            reachable=engine.Reachability(
                has_email=bool(recipient.email),
                has_phone=bool(getattr(recipient, "phone", None)),
            ),
        )
        for channel in wanted:
            row_key = (recipient.pk, c.spec.name, c.key, channel.value)
            if row_key in existing:
                continue
            existing.add(row_key)
            planned.append((c, channel))
    rendered = render_many(
        [
            RenderJob(
                spec=c.spec,
                channel=channel,
                context=c.typed_context,
                language=c.notice.recipient.preferred_language,
                time_zone=c.notice.recipient.time_zone,
                recipient_name=c.notice.recipient.full_name,
                link=c.link,
            )
            for c, channel in planned
        ],
        site_url=site_url,
    )
    rows = []
    for (c, channel), content in zip(planned, rendered, strict=True):
        recipient = c.notice.recipient
        row = Notification(
            recipient=recipient,
            event=c.spec.name,
            category=c.spec.category,
            channel=channel.value,
            is_legal_notice=c.spec.legal,
            object_type=c.object_type,
            object_id=c.object_id,
            dedupe_key=c.key,
            context=c.notice.context,
            language=recipient.preferred_language,
            subject=content.subject,
            body_text=content.text,
            body_html=content.html,
            link=c.link,
            created_at=now,
        )
        if channel == Channel.INBOX:
            row.status, row.sent_at, row.send_after = Status.SENT, now, now
        elif channel == Channel.EMAIL:
            row.address, row.send_after, row.last_queued_at = recipient.email, now, now
        else:
            row.address = str(recipient.phone)
            row.send_after = engine.next_allowed_sms_time(
                now=now, time_zone=recipient.time_zone, quiet=quiet
            )
            # Held for the morning: the relay queues it when its time comes.
            row.last_queued_at = now if row.send_after <= now else None
        rows.append(row)
    created = copy_create(Notification, rows) if new_objects else _insert_skipping_twins(rows)

    due = [r.pk for r in created if r.channel != Channel.INBOX and r.send_after <= now]
    if due:
        transaction.on_commit(lambda: publish(due))
    return created


# The columns a notification row is written with (all but the id, which is taken first).
def _columns() -> list:
    meta = Notification._meta
    return [f for f in meta.concrete_fields if f is not meta.pk]


def _insert_skipping_twins(rows: list[Notification]) -> list[Notification]:
    """Write the rows; a row whose (recipient, event, channel, key) a concurrent caller wrote
    first is skipped (the unique index makes this INSERT wait for that caller, then lose).
    Returns the rows written, with their ids."""
    if not rows:
        return []
    if connection.vendor != "postgresql":
        created = []
        for row in rows:
            try:
                with transaction.atomic():  # savepoint: a concurrent twin wins, we skip
                    row.save()
            except IntegrityError:
                continue
            created.append(row)
        return created
    meta = Notification._meta
    qn = connection.ops.quote_name
    fields = _columns()
    columns = ", ".join(qn(f.column) for f in (meta.pk, *fields))
    table = qn(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(rows)],
        )
        ids = [found[0] for found in cursor.fetchall()]
        # Same columns as the table, no constraints: the unique index is checked by the INSERT.
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS notifications_in (LIKE {table}) ON COMMIT DELETE ROWS"
        )
        values_of = copy_values(fields, connection)  # prepared as an INSERT would, per batch
        with cursor.cursor.copy(f"COPY notifications_in ({columns}) FROM STDIN") as copy:
            for row, new_id in zip(rows, ids, strict=True):
                copy.write_row([new_id, *values_of(row)])
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM notifications_in"  # noqa: S608 - names from the model's meta; values came by COPY
            " ORDER BY id ON CONFLICT DO NOTHING RETURNING id"
        )
        written = {found[0] for found in cursor.fetchall()}
        cursor.execute("DELETE FROM notifications_in")
    created = []
    for row, new_id in zip(rows, ids, strict=True):
        if new_id in written:
            row.pk = new_id
            row._state.adding = False
            row._state.db = connection.alias
            created.append(row)
    return created


def publish(notification_ids: list[int]) -> None:
    """Queue delivery: one batch task per NOTIFICATIONS_DELIVERY_BATCH rows (a task claims
    whichever rows are due, these among them). A broker outage is logged, not raised: the
    rows are in the database and the relay queues them again later."""
    from ..tasks import deliver_due  # tasks imports the services package: a real cycle

    if not notification_ids:
        return
    batches = -(-len(notification_ids) // settings.NOTIFICATIONS_DELIVERY_BATCH)
    for _ in range(batches):
        try:
            deliver_due.apply_async()
        except Exception:
            logger.warning(
                "Could not queue delivery of %s notification(s); the relay will retry",
                len(notification_ids),
                exc_info=True,
            )
            return
