"""A borrower's credit line (status FSM, limit, balance) and the record of closures held open."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition


class CreditLineStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CLOSING = "closing", _("Closing")
    CLOSED = "closed", _("Closed")
    FROZEN = "frozen", _("Paused")


class CreditLine(FSMModelMixin, models.Model):
    """One revolving credit line per borrower. Status changes only through `credit.services`."""

    borrower = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        related_name="credit_line",
        on_delete=models.PROTECT,
        verbose_name=_("borrower"),
    )
    credit_limit = models.DecimalField(_("credit limit"), max_digits=12, decimal_places=2)
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2, default=0)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=CreditLineStatus.choices,
        default=CreditLineStatus.ACTIVE,
        protected=True,
        db_index=True,
    )
    closing_effective_at = models.DateTimeField(_("closing on"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    # A reduction or pause with a notice period: what happens, to which limit, and when
    # (`credit.services.scheduled`). All three are set, or none.
    scheduled_change = models.CharField(
        _("scheduled change"),
        max_length=16,
        blank=True,
        default="",
        choices=[("reduce_limit", _("limit reduction")), ("freeze", _("pause"))],
    )
    scheduled_limit = models.DecimalField(
        _("scheduled limit"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    scheduled_change_at = models.DateTimeField(_("scheduled change on"), null=True, blank=True)
    # A staff flag the policy's segments may use (e.g. to review a closure before it goes).
    key_customer = models.BooleanField(
        _("key customer"),
        default=False,
        help_text=_("Set by staff. A policy segment may treat key customers differently."),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("credit line")
        verbose_name_plural = _("credit lines")
        permissions = [
            ("reevaluate_creditline", "Can request a re-evaluation of a credit line"),
            ("decide_creditline", "Can decide a credit line by hand"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_limit__gte=0), name="credit_line_limit_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(balance__gte=0), name="credit_line_balance_not_negative"
            ),
            # The notice period's end exists exactly while the line is closing.
            models.CheckConstraint(
                condition=(
                    Q(status=CreditLineStatus.CLOSING, closing_effective_at__isnull=False)
                    | (~Q(status=CreditLineStatus.CLOSING) & Q(closing_effective_at__isnull=True))
                ),
                name="credit_line_closing_date_iff_closing",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        scheduled_change__in=["reduce_limit", "freeze"],
                        scheduled_limit__isnull=False,
                        scheduled_change_at__isnull=False,
                        status=CreditLineStatus.ACTIVE,
                    )
                    | Q(
                        scheduled_change="",
                        scheduled_limit__isnull=True,
                        scheduled_change_at__isnull=True,
                    )
                ),
                name="credit_line_scheduled_change_all_or_none",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "closing_effective_at"], name="credit_line_due_idx"),
            models.Index(
                fields=["scheduled_change_at"],
                name="credit_line_scheduled_due_idx",
                condition=Q(scheduled_change_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.borrower.customer_id or self.borrower_id} ({self.get_status_display()})"

    @property
    def available(self) -> Decimal:
        return max(self.credit_limit - self.balance, Decimal("0.00"))

    def clear_scheduled_change(self) -> None:
        self.scheduled_change, self.scheduled_limit, self.scheduled_change_at = "", None, None

    # Transitions only set fields on self; services lock, call, save, record and notify.

    @transition(
        field=status,
        source=[CreditLineStatus.ACTIVE, CreditLineStatus.FROZEN],
        target=CreditLineStatus.CLOSING,
    )
    def schedule_closure(self, *, effective_at) -> None:
        self.closing_effective_at = effective_at

    @transition(field=status, source=CreditLineStatus.CLOSING, target=CreditLineStatus.CLOSED)
    def close(self) -> None:
        self.closing_effective_at = None

    @transition(
        field=status,
        source=[CreditLineStatus.ACTIVE, CreditLineStatus.CLOSING],
        target=CreditLineStatus.FROZEN,
    )
    def freeze(self) -> None:
        self.closing_effective_at = None

    @transition(field=status, source=CreditLineStatus.ACTIVE, target=CreditLineStatus.ACTIVE)
    def reduce_limit(self, *, new_limit: Decimal) -> None:
        self.credit_limit = new_limit

    @transition(field=status, source=CreditLineStatus.ACTIVE, target=CreditLineStatus.ACTIVE)
    def restore_limit(self, *, new_limit: Decimal) -> None:
        """An active line whose limit was reduced gets (some of) it back (an appeal upheld)."""
        self.credit_limit = new_limit

    @transition(
        field=status,
        source=[CreditLineStatus.CLOSING, CreditLineStatus.FROZEN, CreditLineStatus.CLOSED],
        target=CreditLineStatus.ACTIVE,
    )
    def reinstate(self, *, new_limit: Decimal | None = None) -> None:
        self.closing_effective_at = None
        if new_limit is not None:
            self.credit_limit = new_limit


class ClosureDeferral(models.Model):
    """Why a closure whose notice period ended was not carried out (e.g. an open appeal)."""

    line = models.ForeignKey(CreditLine, related_name="closure_deferrals", on_delete=models.PROTECT)
    closing_effective_at = models.DateTimeField(_("closing on"))
    hold = models.CharField(_("held by"), max_length=64)
    detail = models.TextField(_("detail"), blank=True)
    first_deferred_at = models.DateTimeField(_("first deferred"), default=timezone.now)
    last_deferred_at = models.DateTimeField(_("last deferred"), default=timezone.now)

    class Meta:
        verbose_name = _("deferred closure")
        verbose_name_plural = _("deferred closures")
        constraints = [
            models.UniqueConstraint(
                fields=["line", "closing_effective_at", "hold"],
                name="credit_closure_deferral_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.line_id} held by {self.hold}"
