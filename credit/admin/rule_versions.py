"""Scorecard and decision policy versions: drafts, activation, copying and comparison."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .. import services
from ..feature_labels import condition_text, feature_label
from ..models import (
    DecisionPolicy,
    Scorecard,
    VersionStatus,
)
from .common import CreditMedia, labelled_table


class VersionForm(forms.ModelForm):
    """Runs the engine's own parser on the rules, so a draft that cannot score never saves."""

    check = None

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            instance = self.instance
            for name, value in cleaned.items():
                setattr(instance, name, value)
            type(self).check(instance)
        return cleaned


class ScorecardForm(VersionForm):
    check = staticmethod(lambda obj: services.scorecard_check(obj))

    class Meta:
        model = Scorecard
        fields = ("notes", *Scorecard.RULE_FIELDS)


class DecisionPolicyForm(VersionForm):
    check = staticmethod(lambda obj: services.policy_check(obj))

    class Meta:
        model = DecisionPolicy
        fields = ("notes", *DecisionPolicy.RULE_FIELDS)


class VersionAdmin(admin.ModelAdmin):
    """Drafts are edited; activated versions are read-only. Activate, copy and compare."""

    Media = CreditMedia

    list_display = (
        "version",
        "status",
        "activation_requested_by",
        "activated_by",
        "activated_at",
        "created_at",
        "notes",
    )
    list_filter = ("status",)
    ordering = ("-version",)
    actions = ("request_activation", "activate", "copy_to_draft", "compare")
    rule_fields: tuple[str, ...] = ()
    copy_service = None
    save_service = None
    activate_service = None
    request_service = None

    # JSON rule fields shown formatted (not as a JSON blob) once a version is read-only.
    json_displays: dict[str, str] = {}

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None:
            return fields
        if obj.status == VersionStatus.DRAFT:
            return [*fields, "shadow_run_display"]
        return [self.json_displays.get(f, f) if isinstance(f, str) else f for f in fields]

    def get_readonly_fields(self, request, obj=None):
        lifecycle = (
            "version",
            "status",
            "created_at",
            "activation_requested_by",
            "activation_requested_at",
            "activated_by",
            "activated_at",
        )
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return lifecycle + ("notes",) + self.rule_fields + tuple(self.json_displays.values())
        return (*lifecycle, "shadow_run_display")

    @admin.display(description=_("shadow run"))
    def shadow_run_display(self, obj):
        """Whether this draft was tried on every line, and on the data as it is now."""
        if obj is None or obj.pk is None:
            return "—"
        freshness = services.shadow_freshness(obj)
        field = "scorecard" if isinstance(obj, Scorecard) else "policy"
        start = format_html(
            '<a href="{}?{}={}">{}</a>',
            reverse("admin:credit_shadowrun_add"),
            field,
            obj.pk,
            _("Start a shadow run"),
        )
        if freshness.state == "missing":
            return format_html(
                '<span class="credit-shadow-warning">{}</span> {}',
                _("No shadow run has tried this version: nobody has seen what it would change."),
                start,
            )
        link = format_html(
            '<a href="{}">{}</a>',
            reverse("admin:credit_shadowrun_change", args=[freshness.run.pk]),
            freshness.run.name,
        )
        if freshness.warns:
            return format_html(
                '<span class="credit-shadow-warning">{}</span> {} · {}',
                _shadow_warning(freshness),
                link,
                start,
            )
        return format_html("{} {}", link, _("(up to date)"))

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.status != VersionStatus.DRAFT:
            return False  # activated: read-only; copy it to a new draft to change it
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        type(self).save_service(obj)

    def _on_one_draft(self, request, queryset, service, done) -> None:
        """Run a lifecycle service on the one selected draft; say what happened or why not."""
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one draft to activate."), messages.ERROR)
            return
        draft = queryset.get()
        freshness = services.shadow_freshness(draft)
        try:
            obj = service(draft, request.user)
        except ValidationError as exc:
            self.message_user(request, "; ".join(exc.messages), messages.ERROR)
            return
        self.message_user(request, done % {"version": obj.version})
        if freshness.warns:
            self.message_user(request, _shadow_warning(freshness), messages.WARNING)

    @admin.action(
        description=_("Ask for activation (a second supervisor approves)"),
        permissions=["change"],
    )
    def request_activation(self, request, queryset):
        self._on_one_draft(
            request,
            queryset,
            type(self).request_service,
            _("Version %(version)s waits for a second supervisor to approve its activation."),
        )

    @admin.action(
        description=_("Approve and activate the selected draft (four eyes)"),
        permissions=["change"],
    )
    def activate(self, request, queryset):
        self._on_one_draft(
            request,
            queryset,
            type(self).activate_service,
            _("Version %(version)s is now active."),
        )

    @admin.action(description=_("Copy to a new draft"), permissions=["add"])
    def copy_to_draft(self, request, queryset):
        for obj in queryset.order_by("version"):
            draft = type(self).copy_service(obj)
            self.message_user(
                request,
                _("Draft version %(version)s created from version %(source)s.")
                % {"version": draft.version, "source": obj.version},
            )

    @admin.action(description=_("Compare the two selected versions"), permissions=["view"])
    def compare(self, request, queryset):
        versions = list(queryset.order_by("version").values_list("pk", flat=True))
        if len(versions) != 2:
            self.message_user(request, _("Select exactly two versions to compare."), messages.ERROR)
            return None
        info = self.model._meta.app_label, self.model._meta.model_name
        return redirect(reverse("admin:{}_{}_compare".format(*info), args=versions))

    def get_urls(self):
        info = self.model._meta.app_label, self.model._meta.model_name
        return [
            path(
                "<int:left>/compare/<int:right>/",
                self.admin_site.admin_view(self.compare_view),
                name="{}_{}_compare".format(*info),
            ),
        ] + super().get_urls()

    def compare_view(self, request, left, right):
        if not self.has_view_permission(request):
            raise PermissionDenied
        a = get_object_or_404(self.model, pk=left)
        b = get_object_or_404(self.model, pk=right)
        rows = [
            {"key": key, "left": va, "right": vb, "changed": va != vb}
            for key, va, vb in _side_by_side(self.flatten(a), self.flatten(b))
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Compare version %(a)s with version %(b)s")
            % {"a": a.version, "b": b.version},
            "left": a,
            "right": b,
            "rows": rows,
            "changed_count": sum(r["changed"] for r in rows),
        }
        return TemplateResponse(request, "admin/credit/compare_versions.html", context)

    def flatten(self, obj) -> dict[str, str]:
        raise NotImplementedError


def _side_by_side(a: dict[str, str], b: dict[str, str]):
    keys = list(dict.fromkeys([*a, *b]))
    return [(k, a.get(k, "—"), b.get(k, "—")) for k in keys]


def _bin_text(b: dict) -> str:
    rng = "missing" if b.get("missing") else f"[{b.get('min', '-∞')}, {b.get('max', '∞')})"
    override = f" → {b['reason_code']}" if b.get("reason_code") else ""
    return f"{rng}: {b.get('points')} pts{override}"


def _shadow_warning(freshness) -> str:
    if freshness.state == "missing":
        return str(_("Warning: no shadow run has tried this version on the lines."))
    if freshness.rules_changed:
        return str(
            _(
                "Warning: this version was edited after its shadow run; run it again to see "
                "what the rules as they are now would change."
            )
        )
    if freshness.events_since:
        return str(
            _(
                "Warning: the shadow run of this version is older than the data (events "
                "arrived since it ran); run it again to see what would change now."
            )
        )
    return str(
        _(
            "Warning: the shadow run of this version compared it with versions that are no "
            "longer active; run it again."
        )
    )


@admin.register(Scorecard)
class ScorecardAdmin(VersionAdmin):
    form = ScorecardForm
    fields = (
        "version",
        "status",
        "notes",
        "base_points",
        "attributes",
        "created_at",
        "activated_at",
        "activated_by",
    )
    rule_fields = Scorecard.RULE_FIELDS
    json_displays = {"attributes": "attributes_table"}
    save_service = staticmethod(lambda obj: services.scorecard_save_draft(scorecard=obj))
    copy_service = staticmethod(lambda obj: services.scorecard_copy_to_draft(source=obj))
    activate_service = staticmethod(
        lambda obj, actor: services.scorecard_activate(scorecard=obj, actor=actor)
    )
    request_service = staticmethod(
        lambda obj, actor: services.scorecard_request_activation(scorecard=obj, actor=actor)
    )

    @admin.display(description=_("attributes"))
    def attributes_table(self, obj):
        rows = []
        for attr in obj.attributes:
            bins = format_html_join(
                "",
                "<li>{}</li>",
                ((f"{b.get('label', '')}: {_bin_text(b)}",) for b in attr["bins"]),
            )
            rows.append(
                (
                    format_html(
                        "{}<br><code>{}</code>",
                        attr.get("label") or feature_label(attr["feature"]),
                        attr["feature"],
                    ),
                    format_html("<code>{}</code>", attr["reason_code"]),
                    format_html("<ul>{}</ul>", bins),
                )
            )
        return labelled_table((_("attribute"), _("reason code"), _("bands and points")), rows)

    def flatten(self, obj):
        reason_label, max_label = _("reason"), _("maximum points")
        flat = {str(_("base points")): str(obj.base_points)}
        for attr in obj.attributes:
            feature = attr.get("feature")
            flat[f"{feature} · {reason_label}"] = attr.get("reason_code", "")
            flat[f"{feature} · {max_label}"] = str(max(b.get("points", 0) for b in attr["bins"]))
            for b in attr.get("bins", []):
                label = b.get("label") or _bin_text(b)
                flat[f"{feature} · {label}"] = _bin_text(b)
        return flat


@admin.register(DecisionPolicy)
class DecisionPolicyAdmin(VersionAdmin):
    form = DecisionPolicyForm
    fields = (
        "version",
        "status",
        "notes",
        ("keep_min_score", "reduce_min_score", "freeze_min_score"),
        ("reduce_share", "closure_buffer_days"),
        "knockouts",
        "segments",
        "created_at",
        "activated_at",
        "activated_by",
    )
    json_displays = {"knockouts": "knockouts_display", "segments": "segments_display"}
    rule_fields = DecisionPolicy.RULE_FIELDS
    save_service = staticmethod(lambda obj: services.policy_save_draft(policy=obj))
    copy_service = staticmethod(lambda obj: services.policy_copy_to_draft(source=obj))
    activate_service = staticmethod(
        lambda obj, actor: services.policy_activate(policy=obj, actor=actor)
    )
    request_service = staticmethod(
        lambda obj, actor: services.policy_request_activation(policy=obj, actor=actor)
    )

    @admin.display(description=_("knock-out rules"))
    def knockouts_display(self, obj):
        return labelled_table(
            (_("rule"), _("when"), _("outcome"), _("reason code")),
            (
                (
                    k.get("name", ""),
                    condition_text(k),
                    k.get("outcome", ""),
                    k.get("reason_code", ""),
                )
                for k in obj.knockouts
            ),
        )

    @admin.display(description=_("segment rules"))
    def segments_display(self, obj):
        return labelled_table(
            (
                _("segment"),
                _("when all hold"),
                _("a closure becomes"),
                _("share removed"),
                _("notice period (days)"),
                _("staff review first"),
            ),
            (
                (
                    seg.get("name", ""),
                    "; ".join(condition_text(c) for c in seg.get("conditions", [])),
                    seg.get("close_becomes") or "—",
                    seg.get("reduce_share") or "—",
                    seg.get("closure_buffer_days") or "—",
                    _("yes") if seg.get("review") else _("no"),
                )
                for seg in obj.segments
            ),
        )

    def flatten(self, obj):
        fields = (
            "keep_min_score",
            "reduce_min_score",
            "freeze_min_score",
            "reduce_share",
            "closure_buffer_days",
        )
        flat = {
            str(DecisionPolicy._meta.get_field(name).verbose_name): str(getattr(obj, name))
            for name in fields
        }
        knockout_label, segment_label = _("knock-out rule"), _("segment rule")
        for k in obj.knockouts:
            flat[f"{knockout_label} · {k.get('name')}"] = (
                f"{k.get('feature')} {k.get('op')} {k.get('value')} → {k.get('outcome')}"
                f" ({k.get('reason_code')})"
            )
        for s in obj.segments:
            conditions = " and ".join(
                f"{c.get('feature')} {c.get('op')} {c.get('value')}"
                for c in s.get("conditions", [])
            )
            flat[f"{segment_label} · {s.get('name')}"] = (
                f"if {conditions}: close → {s.get('close_becomes') or 'close'}"
                + (f" (share {s['reduce_share']})" if s.get("reduce_share") else "")
                + (
                    f"; notice {s['closure_buffer_days']} days"
                    if s.get("closure_buffer_days") is not None
                    else ""
                )
                + ("; staff review first" if s.get("review") else "")
            )
        return flat
