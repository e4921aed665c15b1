import uuid
import zoneinfo

from django.contrib.auth.models import AbstractBaseUser, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from .managers import UserManager


class Language(models.TextChoices):
    ZH_HANS = "zh-hans", "简体中文"
    EN = "en", "English"


TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz)


class User(AbstractBaseUser, PermissionsMixin):
    """A borrower (has a `customer_id` from the lender) or a member of staff (is_staff)."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("name"), max_length=150)
    phone = PhoneNumberField(_("phone"), blank=True, null=True, unique=True)
    customer_id = models.CharField(
        _("customer ID"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The lender's identifier for this borrower."),
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=8,
        choices=Language.choices,
        default=Language.ZH_HANS,
    )
    time_zone = models.CharField(
        _("time zone"), max_length=64, choices=TIME_ZONE_CHOICES, default="Asia/Shanghai"
    )
    is_staff = models.BooleanField(_("staff"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    # Set when the retention job removed this person's details (the row stays: decisions and
    # appeals keep pointing at it, as anonymous figures).
    erased_at = models.DateTimeField(_("personal details removed"), null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        permissions = [
            ("reveal_personal_data", _("Can reveal a person's contact details, giving a reason"))
        ]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        # No email here: a person is named in admin lists, labels and the audit trail, where
        # contact details are masked (accounts.privacy).
        return self.full_name or self.customer_id or f"user {self.pk}"

    def save(self, *args, **kwargs):
        # Every way a password is set (reset link, admin, set-password email, shell) and every
        # deactivation ends up here: the one place that can end the account's API tokens.
        # Its other sessions end by themselves (their hash no longer matches the password).
        ends_access = self.pk is not None and (self._password is not None or not self.is_active)
        super().save(*args, **kwargs)
        if ends_access:
            ApiToken.objects.filter(
                user=self, kind=ApiTokenKind.BORROWER, revoked_at__isnull=True
            ).update(revoked_at=timezone.now())

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name

    @property
    def is_borrower(self) -> bool:
        return not self.is_staff

    @property
    def zoneinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ApiTokenKind(models.TextChoices):
    SERVICE = "service", _("service (upstream system)")
    BORROWER = "borrower", _("borrower")


class ApiScope(models.TextChoices):
    """What a service token may do. Borrower tokens carry no scopes: they act as their user."""

    BORROWERS_WRITE = "borrowers:write", _("upsert borrowers and their credit lines")
    CREDIT_EVENTS_WRITE = "credit-events:write", _("send credit events")
    DECISIONS_READ = "decisions:read", _("read decisions and credit lines (reconciliation)")


class ApiToken(models.Model):
    """A bearer token. Only the SHA-256 of the secret is stored; `prefix` lets staff tell
    tokens apart in the admin. A service token acts for an upstream system (name + scopes),
    never for a borrower; a borrower token acts as its user."""

    kind = models.CharField(_("kind"), max_length=16, choices=ApiTokenKind.choices)
    name = models.CharField(
        _("name"), max_length=100, blank=True, help_text=_("The upstream system it belongs to.")
    )
    user = models.ForeignKey(
        User,
        verbose_name=_("borrower"),
        related_name="api_tokens",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User,
        verbose_name=_("revoked by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(kind="service", user__isnull=True) & ~models.Q(name="")
                    | models.Q(kind="borrower", user__isnull=False)
                ),
                name="accounts_apitoken_kind_matches_owner",
            ),
        ]
        indexes = [models.Index(fields=["kind", "revoked_at"])]

    def __str__(self) -> str:
        owner = self.name if self.kind == ApiTokenKind.SERVICE else str(self.user_id)
        return f"{self.prefix}… ({owner})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or timezone.now())


class DataExportStatus(models.TextChoices):
    PREPARING = "preparing", _("Preparing")
    READY = "ready", _("Ready to download")
    FAILED = "failed", _("Could not be prepared")
    EXPIRED = "expired", _("Expired")


class DataExport(models.Model):
    """A copy of everything Recourse holds about a borrower, asked for from their settings.

    Prepared by a Celery task into a JSON file and a readable PDF under PRIVATE_MEDIA_ROOT;
    served only to its owner, and removed when it expires. The id is random, so one export's
    address says nothing about another's.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        User, verbose_name=_("borrower"), related_name="data_exports", on_delete=models.CASCADE
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=DataExportStatus.choices,
        default=DataExportStatus.PREPARING,
    )
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    ready_at = models.DateTimeField(_("ready"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    json_name = models.CharField(max_length=200, blank=True)
    pdf_name = models.CharField(max_length=200, blank=True)
    json_size = models.PositiveIntegerField(default=0)
    pdf_size = models.PositiveIntegerField(default=0)
    error = models.CharField(_("error"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("data export")
        verbose_name_plural = _("data exports")
        ordering = ["-requested_at"]
        indexes = [
            models.Index(fields=["owner", "-requested_at"], name="accounts_export_owner_idx"),
            models.Index(fields=["status", "expires_at"], name="accounts_export_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.status})"

    @property
    def is_ready(self) -> bool:
        return self.status == DataExportStatus.READY


class DeletionRequest(models.Model):
    """A borrower asked to delete their account (confirmed with their password).

    Sign-in ends at once; what the law requires us to keep (decisions, notices, appeals and
    their inputs) is kept until `keep_until`, then the retention job removes the personal
    details and the evidence files (`erased_at`).
    """

    person = models.OneToOneField(
        User, verbose_name=_("borrower"), related_name="deletion_request", on_delete=models.CASCADE
    )
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    # Empty while the records are in use (a line not closed, an appeal being worked).
    keep_until = models.DateTimeField(_("records kept until"), null=True, blank=True)
    erased_at = models.DateTimeField(_("personal details removed"), null=True, blank=True)

    class Meta:
        verbose_name = _("account deletion request")
        verbose_name_plural = _("account deletion requests")

    def __str__(self) -> str:
        return f"deletion request of user {self.person_id}"


class LegalHold(models.Model):
    """Staff keep a person's records beyond the retention period (a dispute, an inquiry).

    While a hold is in place (not lifted), the retention job skips the person entirely.
    """

    person = models.ForeignKey(
        User, verbose_name=_("borrower"), related_name="legal_holds", on_delete=models.PROTECT
    )
    reason = models.CharField(_("reason"), max_length=500)
    placed_at = models.DateTimeField(_("placed"), default=timezone.now)
    placed_by = models.ForeignKey(
        User, verbose_name=_("placed by"), related_name="+", on_delete=models.PROTECT
    )
    lifted_at = models.DateTimeField(_("lifted"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        User,
        verbose_name=_("lifted by"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        ordering = ["-placed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(lifted_at__isnull=True),
                name="accounts_one_legal_hold_in_place",
            ),
        ]

    def __str__(self) -> str:
        return f"legal hold on user {self.person_id}"

    @property
    def in_place(self) -> bool:
        return self.lifted_at is None


class PolicyDocument(models.TextChoices):
    """The documents a borrower accepts. The values are the `document` of `policy.updated`."""

    CREDIT_AGREEMENT = "credit_agreement", _("credit agreement")
    PRIVACY_POLICY = "privacy_policy", _("privacy policy")
    AUTOMATED_DECISIONS = "automated_decisions", _("how automated decisions work")


class PolicyVersion(models.Model):
    """One version of a policy document, in both languages.

    A draft is edited by supervisors and gates no one. Once published it never changes; it is
    the current version of its document from its effective date until a later one takes over,
    and every borrower accepts the current version of each document before going on.
    """

    document = models.CharField(_("document"), max_length=32, choices=PolicyDocument.choices)
    version = models.CharField(
        _("version"), max_length=32, help_text=_("A short label borrowers see, e.g. 2026-11.")
    )
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    body_zh = models.TextField(_("text (Chinese)"))
    body_en = models.TextField(_("text (English)"))
    changes_zh = models.TextField(
        _("what changed (Chinese)"),
        blank=True,
        help_text=_("Shown above the text to borrowers who accepted an earlier version."),
    )
    changes_en = models.TextField(_("what changed (English)"), blank=True)
    effective_on = models.DateField(
        _("effective from"), help_text=_("Borrowers are asked to accept it from this day on.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        "User",
        verbose_name=_("published by"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("policy document version")
        verbose_name_plural = _("policy document versions")
        ordering = ("document", "-effective_on", "-published_at")
        permissions = [("publish_policyversion", _("Can publish a policy document version"))]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "version"], name="accounts_policy_version_unique"
            )
        ]
        indexes = [models.Index(fields=["published_at", "effective_on"])]

    def __str__(self) -> str:
        return f"{self.get_document_display()} {self.version}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def _in(self, field: str, language: str) -> str:
        return getattr(self, f"{field}_{'en' if language == Language.EN else 'zh'}")

    def title_in(self, language: str) -> str:
        return self._in("title", language)

    def body_in(self, language: str) -> str:
        return self._in("body", language)

    def changes_in(self, language: str) -> str:
        return self._in("changes", language)


class ConsentChannel(models.TextChoices):
    WEB = "web", _("web page")
    API = "api", _("API")


class PolicyAcceptance(models.Model):
    """A borrower accepted one version of a policy document: who, which, when and from where."""

    user = models.ForeignKey(
        User, verbose_name=_("borrower"), on_delete=models.CASCADE, related_name="acceptances"
    )
    policy_version = models.ForeignKey(
        PolicyVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    accepted_at = models.DateTimeField(_("accepted"), default=timezone.now)
    channel = models.CharField(_("through"), max_length=8, choices=ConsentChannel.choices)
    ip_address = models.GenericIPAddressField(_("from address"), null=True, blank=True)
    user_agent = models.CharField(_("browser or app"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("policy acceptance")
        verbose_name_plural = _("policy acceptances")
        ordering = ("-accepted_at",)
        constraints = [
            models.UniqueConstraint(
                fields=["user", "policy_version"], name="accounts_policy_accepted_once"
            )
        ]

    def __str__(self) -> str:
        return f"user #{self.user_id} · {self.policy_version}"
