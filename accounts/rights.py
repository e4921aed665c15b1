"""Data rights and retention: a borrower's copy of their data, their request to delete the
account, staff legal holds, and the periodic job that anonymises what the law lets go.

Rules (docs/data-rights.md):
- Decisions, notices, appeals and their inputs are kept at least 25 months
  (`PERSONAL_DATA_RETENTION_MONTHS`, refused below 25 by a system check) after the newest of
  them, and while the relationship is live (a line not closed, an appeal being worked).
- Then the retention job removes personal fields and evidence files, keeping the rows that
  make the figures; a person under a legal hold is skipped.
- A deletion request ends sign-in at once; the data is anonymised as soon as nothing must be
  kept, and the borrower is told until when what must be kept is kept.
"""

from __future__ import annotations

import calendar
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from jobs.services import job_enqueue

from . import audited, data_rights
from .export_pdf import render_pdf
from .models import (
    DataExport,
    DataExportStatus,
    DeletionRequest,
    LegalHold,
    User,
)

logger = logging.getLogger(__name__)

EXPORT_FORMAT_VERSION = 1


# --- time ------------------------------------------------------------------------------------


def months_before(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier (the 31st becomes the month's last day)."""
    month_index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(month_index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def months_after(moment: datetime, months: int) -> datetime:
    return months_before(moment, -months)


def retention_months() -> int:
    return settings.PERSONAL_DATA_RETENTION_MONTHS


def export_storage() -> FileSystemStorage:
    """Exports live beside the evidence, outside any URL: served only by the owner's view."""
    return FileSystemStorage(location=str(Path(settings.PRIVATE_MEDIA_ROOT) / "exports"))


# --- the copy of a person's data ------------------------------------------------------------


def export_active_for(person: User) -> DataExport | None:
    return (
        DataExport.objects.filter(owner=person, status=DataExportStatus.PREPARING)
        .order_by("-requested_at")
        .first()
    )


@transaction.atomic
def data_export_request(*, person: User) -> DataExport:
    """Start preparing a copy (at most one at a time per person); the task runs on commit."""
    if person.is_staff or not person.is_active:
        raise PermissionDenied
    User.objects.select_for_update().filter(pk=person.pk).first()  # one request at a time
    preparing = export_active_for(person)
    if preparing is not None:
        return preparing
    export = DataExport.objects.create(owner=person, language=person.preferred_language)
    audited.data_export_requested(export, actor=person)
    job_enqueue(task="accounts.build_data_export", args=[str(export.pk)])
    return export


def export_document(person: User, *, language: str) -> tuple[dict, list]:
    """The person's data as a JSON-ready dict, and the sections the PDF draws."""
    with translation.override(language), timezone.override(person.zoneinfo):
        sections = data_rights.export_sections(person)
        document = {
            "format_version": EXPORT_FORMAT_VERSION,
            "generated_at": timezone.localtime(timezone.now()).isoformat(),
            "language": language,
        }
        for section in sections:
            document[section.key] = section.records
    return document, sections


def data_export_build(*, export_id) -> DataExport | None:
    """Write the JSON and the PDF of a requested export; safe to run twice (a ready or
    expired export is left as it is)."""
    export = DataExport.objects.select_related("owner").filter(pk=export_id).first()
    if export is None or export.status != DataExportStatus.PREPARING:
        return export
    person = export.owner
    document, sections = export_document(person, language=export.language)
    raw_json = json.dumps(document, ensure_ascii=False, indent=2).encode()
    with translation.override(export.language):
        pdf = render_pdf(
            title=_("Your data at Recourse"),
            intro=[
                _("Prepared on %(date)s for %(name)s.")
                % {"date": document["generated_at"][:10], "name": person.full_name},
                _(
                    "This is everything we hold about you: your profile, your credit line, "
                    "the decisions about it with their reasons and what they were based on, "
                    "your appeals with their messages and documents, and the messages we "
                    "sent you. The JSON file has the same data for a computer to read."
                ),
            ],
            sections=sections,
            empty_text=_("Nothing here."),
            footer_text=_("Your data at Recourse"),
        )
    storage = export_storage()
    stem = f"{person.pk}/{export.pk}"
    json_name = storage.save(f"{stem}.json", ContentFile(raw_json))
    pdf_name = storage.save(f"{stem}.pdf", ContentFile(pdf))
    now = timezone.now()
    with transaction.atomic():
        locked = DataExport.objects.select_for_update().get(pk=export.pk)
        if locked.status != DataExportStatus.PREPARING:  # a second run got there first
            storage.delete(json_name)
            storage.delete(pdf_name)
            return locked
        locked.status = DataExportStatus.READY
        locked.ready_at = now
        locked.expires_at = now + timedelta(hours=settings.DATA_EXPORT_TTL_HOURS)
        locked.json_name, locked.pdf_name = json_name, pdf_name
        locked.json_size, locked.pdf_size = len(raw_json), len(pdf)
        locked.save()
    return locked


def data_export_fail(*, export_id, error: str) -> None:
    DataExport.objects.filter(pk=export_id, status=DataExportStatus.PREPARING).update(
        status=DataExportStatus.FAILED, error=error[:200]
    )


def data_export_get_for_owner(*, person: User, export_id) -> DataExport:
    """The person's own export; anyone else's id (or an unknown one) raises DoesNotExist."""
    return DataExport.objects.get(pk=export_id, owner=person)


def exports_for_owner(*, person: User, limit: int = 5) -> list[DataExport]:
    return list(DataExport.objects.filter(owner=person).order_by("-requested_at")[:limit])


@transaction.atomic
def data_export_downloaded(*, export: DataExport, person: User, kind: str) -> None:
    audited.data_export_downloaded(export, actor=person, kind=kind)


def _remove_files(export: DataExport) -> None:
    storage = export_storage()
    for name in (export.json_name, export.pdf_name):
        if name:
            storage.delete(name)


def data_exports_expire(*, now: datetime | None = None) -> int:
    """Remove the files of exports past their expiry (and of exports stuck preparing for a
    day: the task failed beyond its retries)."""
    now = now or timezone.now()
    count = 0
    for export in DataExport.objects.filter(status=DataExportStatus.READY, expires_at__lte=now):
        _remove_files(export)
        DataExport.objects.filter(pk=export.pk).update(
            status=DataExportStatus.EXPIRED, json_name="", pdf_name=""
        )
        count += 1
    DataExport.objects.filter(
        status=DataExportStatus.PREPARING, requested_at__lte=now - timedelta(days=1)
    ).update(status=DataExportStatus.FAILED, error="not prepared within a day")
    return count


# --- deleting the account ---------------------------------------------------------------------


def keep_until_for(person: User, *, now: datetime) -> datetime | None:
    """Until when the law makes us keep this person's records, counted from the newest of
    them; None while they are in use (a line not closed, an appeal being worked)."""
    if data_rights.in_use(person):
        return None
    latest = data_rights.latest_record_at(person)
    if latest is None:
        return now
    return max(now, months_after(latest, retention_months()))


@transaction.atomic(durable=True)
def account_deletion_request(*, person: User, password: str) -> DeletionRequest:
    """The borrower confirmed with their password: sign-in ends now; personal details go as
    soon as nothing must be kept (at once when nothing is), unless a legal hold applies."""
    if person.is_staff:
        raise PermissionDenied
    if not person.check_password(password):
        raise ValidationError(
            {"password": _("That is not your password. Nothing was changed.")}, code="password"
        )
    now = timezone.now()
    keep_until = keep_until_for(person, now=now)
    request, _created = DeletionRequest.objects.update_or_create(
        person=person,
        defaults={"requested_at": now, "keep_until": keep_until, "erased_at": None},
    )
    audited.deletion_requested(request, actor=person, in_use=keep_until is None)
    person.is_active = False  # ends every session and API token (User.save)
    person.save(update_fields=["is_active"])
    if keep_until is not None and keep_until <= now and not on_legal_hold(person):
        person_erase(person=person, now=now, reason="deletion request")
        request.erased_at = now
    return request


# --- legal holds ------------------------------------------------------------------------------


def on_legal_hold(person: User) -> bool:
    return LegalHold.objects.filter(person=person, lifted_at__isnull=True).exists()


@transaction.atomic
def legal_hold_place(*, person: User, reason: str, actor: User) -> LegalHold:
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationError(
            {"reason": _("Say why the records must be kept (10 characters or more).")}
        )
    if person.is_staff:
        raise ValidationError({"person": _("A legal hold is placed on a borrower.")})
    if on_legal_hold(person):
        raise ValidationError({"person": _("This person is already under a legal hold.")})
    hold = LegalHold.objects.create(person=person, reason=reason, placed_by=actor)
    audited.legal_hold_changed(hold, actor=actor, placed=True)
    return hold


@transaction.atomic
def legal_hold_lift(*, hold: LegalHold, actor: User) -> LegalHold:
    hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
    if hold.lifted_at is not None:
        return hold
    hold.lifted_at = timezone.now()
    hold.lifted_by = actor
    hold.save(update_fields=["lifted_at", "lifted_by"])
    audited.legal_hold_changed(hold, actor=actor, placed=False)
    return hold


# --- the retention job ------------------------------------------------------------------------


def person_erase(*, person: User, now: datetime, reason: str) -> dict[str, int]:
    """Remove the person's details in every app (in the caller's transaction) and record it."""
    for export in DataExport.objects.filter(owner=person):
        _remove_files(export)
    DataExport.objects.filter(owner=person).delete()
    counts = data_rights.erase(person)
    DeletionRequest.objects.filter(person=person).update(erased_at=now)
    audited.personal_data_erased(person, reason=reason, counts=counts)
    return counts


def retention_candidates(*, cutoff: datetime):
    """Borrowers not yet anonymised and not under a legal hold who asked to be deleted or
    whose account is older than the cutoff (only such a person can be due)."""
    from django.db.models import Q

    held = LegalHold.objects.filter(lifted_at__isnull=True).values("person_id")
    return (
        User.objects.filter(is_staff=False, erased_at__isnull=True)
        .filter(Q(deletion_request__isnull=False) | Q(date_joined__lte=cutoff))
        .exclude(pk__in=held)
        .order_by("pk")
    )


def retention_apply(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic job: anonymise every person whose retention period has passed."""
    now = now or timezone.now()
    cutoff = months_before(now, retention_months())
    erased = skipped = 0
    for person_id in retention_candidates(cutoff=cutoff).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            person = User.objects.select_for_update().filter(pk=person_id).first()
            if person is None or person.erased_at is not None or on_legal_hold(person):
                continue
            requested = DeletionRequest.objects.filter(person=person).exists()
            if data_rights.in_use(person):
                skipped += 1
                continue
            moments = [data_rights.latest_record_at(person)]
            if not requested:  # an account nobody asked to delete: its last use counts too
                moments += [person.date_joined, person.last_login]
            latest = max((m for m in moments if m is not None), default=None)
            if latest is not None and latest > cutoff:
                skipped += 1
                continue
            person_erase(
                person=person,
                now=now,
                reason="deletion request" if requested else "retention period ended",
            )
            erased += 1
    expired = data_exports_expire(now=now)
    logger.info(
        "retention.applied", extra={"erased": erased, "kept": skipped, "exports_expired": expired}
    )
    return {"erased": erased, "kept": skipped, "exports_expired": expired}
