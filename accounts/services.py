import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from jobs.services import job_enqueue

from . import audited, consent, tokens
from .models import (
    ApiScope,
    ApiToken,
    ApiTokenKind,
    ConsentChannel,
    Language,
    PolicyAcceptance,
    PolicyVersion,
    User,
)

logger = logging.getLogger(__name__)


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the language a borrower chose; notifications go out in it."""
    if language not in Language.values:
        raise ValueError(f"Unsupported language: {language!r}")
    if user.preferred_language != language:
        user.preferred_language = language
        user.save(update_fields=["preferred_language"])
    return user


BORROWER_TOKEN_LIFETIME = timedelta(days=30)
# A token's last-used time is written at most once a minute, not on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


@transaction.atomic
def service_token_issue(
    *, name: str, scopes: Iterable[str], expires_at: datetime | None = None
) -> tuple[ApiToken, str]:
    """Issue a token for an upstream system. The raw secret is returned once and never
    stored; only its hash is. Every scope must be a known one and there must be at least one."""
    name = name.strip()
    scopes = sorted(set(scopes))
    if not name:
        raise ValidationError({"name": "A service token needs the name of its system."})
    unknown = [s for s in scopes if s not in ApiScope.values]
    if unknown or not scopes:
        raise ValidationError(
            {"scopes": f"Scopes must be among {', '.join(ApiScope.values)}; got {unknown or []}."}
        )
    raw = tokens.token_generate(service=True)
    token = ApiToken.objects.create(
        kind=ApiTokenKind.SERVICE,
        name=name,
        scopes=scopes,
        prefix=tokens.token_prefix(raw),
        key_hash=tokens.token_hash(raw),
        expires_at=expires_at,
    )
    logger.info(
        "api_token.issued",
        extra={"token_id": token.pk, "kind": token.kind, "token_name": name, "scopes": scopes},
    )
    return token, raw


@transaction.atomic
def borrower_token_issue(
    *, user: User, lifetime: timedelta | None = BORROWER_TOKEN_LIFETIME
) -> tuple[ApiToken, str]:
    """Issue a token that acts as this borrower, expiring after `lifetime` (None: never).
    Staff never get one: they work in the admin, with its own sign-in."""
    if user.is_staff or not user.is_active:
        raise PermissionDenied("API tokens are for active borrowers only.")
    raw = tokens.token_generate(service=False)
    token = ApiToken.objects.create(
        kind=ApiTokenKind.BORROWER,
        name="borrower API token",
        user=user,
        prefix=tokens.token_prefix(raw),
        key_hash=tokens.token_hash(raw),
        expires_at=timezone.now() + lifetime if lifetime else None,
    )
    logger.info(
        "api_token.issued", extra={"token_id": token.pk, "kind": token.kind, "user_id": user.pk}
    )
    return token, raw


@transaction.atomic
def api_token_revoke(*, token: ApiToken, actor: User | None) -> ApiToken:
    """Revoke a token for good. Revoking twice keeps the first time and actor."""
    token = ApiToken.objects.select_for_update().get(pk=token.pk)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        logger.info(
            "api_token.revoked",
            extra={"token_id": token.pk, "actor_id": actor.pk if actor else None},
        )
    return token


def api_token_record_use(*, token: ApiToken, now: datetime | None = None) -> None:
    """Remember when a token was last used, to the minute (one UPDATE at most a minute)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < LAST_USED_PRECISION:
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now


@transaction.atomic
def borrower_upsert(
    *,
    customer_id: str,
    full_name: str,
    email: str,
    phone: str | None,
    language: str,
    time_zone: str,
) -> tuple[User, bool]:
    """Create or update the borrower the lender knows as `customer_id`.

    An email address or phone number already held by another account is refused (a
    `ValidationError` naming the field); a customer ID held by staff is refused. A new
    borrower has no usable password and is sent a "set your password" email after commit.
    """
    email = User.objects.normalize_email(email).strip().lower()
    user = User.objects.select_for_update().filter(customer_id=customer_id).first()
    if user is not None and user.is_staff:
        raise ValidationError({"customer_id": "This customer ID belongs to a staff account."})
    others = User.objects.exclude(pk=user.pk) if user else User.objects.all()
    if others.filter(email__iexact=email).exists():
        raise ValidationError({"email": "This email address is already used by another account."})
    if phone and others.filter(phone=phone).exists():
        raise ValidationError({"phone": "This phone number is already used by another account."})
    wanted = {
        "full_name": full_name,
        "email": email,
        "phone": phone or None,
        "preferred_language": language,
        "time_zone": time_zone,
    }
    if user is None:
        user = User(customer_id=customer_id, **wanted)
        user.set_unusable_password()
        user.save()
        job_enqueue(task="accounts.send_set_password_email", args=[user.pk])
        logger.info("borrower.created", extra={"user_id": user.pk, "customer_id": customer_id})
        return user, True
    changed = [name for name, value in wanted.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, wanted[name])
    if changed:
        user.save(update_fields=changed)
    return user, False


def set_password_email_send(*, user_id: int) -> bool:
    """Email a new borrower a link to choose a password, in their language. Sends nothing
    once they have a password (a retried or repeated task is harmless)."""
    user = User.objects.filter(pk=user_id, is_active=True, is_staff=False).first()
    if user is None or user.has_usable_password():
        return False
    context = {
        "user": user,
        "site_url": settings.SITE_URL,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    }
    with translation.override(user.preferred_language):
        subject = render_to_string("accounts/emails/set_password_subject.txt", context)
        body = render_to_string("accounts/emails/set_password.txt", context)
        html = render_to_string("accounts/emails/set_password.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), body, to=[user.email])
    message.attach_alternative(html, "text/html")
    message.send()
    logger.info("borrower.set_password_email_sent", extra={"user_id": user.pk})
    return True


# --- Policy documents and consent ----------------------------------------------------------

POLICY_ANNOUNCE_CHUNK = 500


def policy_version_check_publishable(version: PolicyVersion) -> None:
    """A version may be published once, with its texts in both languages; a later version of a
    document that borrowers have accepted before says what changed, in both languages."""
    if version.is_published:
        raise ValidationError("This version is already published; publish a new version instead.")
    missing = [
        field
        for field in ("title_zh", "title_en", "body_zh", "body_en")
        if not getattr(version, field).strip()
    ]
    if missing:
        raise ValidationError(dict.fromkeys(missing, "Needed in both languages."))
    earlier = PolicyVersion.objects.filter(
        document=version.document, published_at__isnull=False
    ).exists()
    if earlier and not (version.changes_zh.strip() and version.changes_en.strip()):
        raise ValidationError(
            {"changes_zh": "Say what changed since the last version, in both languages."}
        )
    if version.effective_on < timezone.localdate():
        raise ValidationError({"effective_on": "The effective date cannot be in the past."})


@transaction.atomic  # the admin saves inside its own transaction
def policy_version_save_draft(*, version: PolicyVersion) -> PolicyVersion:
    """Save a draft version (supervisors, in the admin). A published version never changes."""
    if version.pk and PolicyVersion.objects.filter(pk=version.pk, published_at__isnull=False):
        raise ValidationError("A published version never changes; write a new version.")
    version.full_clean()
    version.save()
    return version


@transaction.atomic(durable=True)
def policy_version_publish(*, version: PolicyVersion, actor) -> PolicyVersion:
    """Publish a draft: from its effective date every borrower accepts it before going on.

    Audited. When it replaces an earlier version of the document, borrowers are told
    (`policy.updated`, in the background once this commits). Only staff holding
    `accounts.publish_policyversion` (supervisors) publish."""
    if actor is None or not actor.has_perm("accounts.publish_policyversion"):
        raise PermissionDenied("Only a supervisor publishes a policy document version.")
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    policy_version_check_publishable(version)
    replaces = _replaces_a_published_version(version)
    version.published_at = timezone.now()
    version.published_by = actor
    version.save(update_fields=["published_at", "published_by"])
    audited.policy_version_published(version, actor=actor, announced=replaces)
    consent.forget_current_versions()
    transaction.on_commit(consent.forget_current_versions)
    if replaces:
        from .tasks import announce_policy_version

        transaction.on_commit(lambda: announce_policy_version.delay(version.pk))
    return version


def _replaces_a_published_version(version: PolicyVersion) -> bool:
    earlier = PolicyVersion.objects.filter(document=version.document, published_at__isnull=False)
    if version.published_at is not None:
        earlier = earlier.filter(published_at__lt=version.published_at)
    return earlier.exclude(pk=version.pk).exists()


def policy_version_announce(*, version_id: int) -> int:
    """Tell every active borrower of a new version (`policy.updated`). Safe to run twice: the
    event's dedupe key (document and version) makes a second row impossible."""
    from .notices import notify_policy_updated

    version = PolicyVersion.objects.filter(pk=version_id, published_at__isnull=False).first()
    if version is None or not _replaces_a_published_version(version):
        return 0  # the first version of a document updates nothing; the gate asks anyway
    borrowers = User.objects.filter(is_staff=False, is_active=True).order_by("pk")
    sent, after = 0, 0
    while True:
        chunk = list(borrowers.filter(pk__gt=after)[:POLICY_ANNOUNCE_CHUNK])
        if not chunk:
            return sent
        with transaction.atomic():
            for borrower in chunk:
                rows = notify_policy_updated(
                    recipient=borrower,
                    document=version.document,
                    version=version.version,
                    effective_on=version.effective_on.isoformat(),
                )
                sent += bool(rows)
        after = chunk[-1].pk


@transaction.atomic(durable=True)
def policies_accept(
    *,
    user: User,
    version_ids: Iterable[int],
    channel: str = ConsentChannel.WEB,
    ip_address: str | None = None,
    user_agent: str = "",
) -> list[PolicyAcceptance]:
    """Record that `user` accepted the versions they were shown, all in force now.

    A version no longer (or not yet) in force is refused: the borrower reads the current one.
    Accepting a version twice records it once; each new acceptance is one audit entry."""
    if user.is_staff:
        raise PermissionDenied("Staff accept no borrower policies.")
    wanted = set(version_ids)
    in_force = {version.pk: version for version in consent.current_versions()}
    if not wanted:
        raise ValidationError({"versions": "Say which versions you accept."})
    stale = wanted - in_force.keys()
    if stale:
        raise ValidationError(
            {"versions": "A document changed while you were reading; please read it again."}
        )
    already = set(
        PolicyAcceptance.objects.filter(user=user, policy_version_id__in=wanted).values_list(
            "policy_version_id", flat=True
        )
    )
    written = []
    for version_id in sorted(wanted - already):
        acceptance = PolicyAcceptance.objects.create(
            user=user,
            policy_version=in_force[version_id],
            channel=channel,
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:300],
        )
        audited.policy_accepted(acceptance, actor=user)
        written.append(acceptance)
    return written
