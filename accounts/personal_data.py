"""accounts' part of a person's data (see data_rights): their profile, and their account.

Consents: every acceptance of a policy version, with the version, when and through what.
"""

from __future__ import annotations

from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.utils.translation import gettext as _

from .data_rights import ExportSection
from .models import ApiToken, PolicyAcceptance


def _when(value):
    return timezone.localtime(value).isoformat() if value else None


def export_sections(person) -> list[ExportSection]:
    profile = {
        "name": person.full_name,
        "email": person.email,
        "phone": str(person.phone) if person.phone else None,
        "customer_id": person.customer_id,
        "preferred_language": person.get_preferred_language_display(),
        "time_zone": person.time_zone,
        "joined_at": _when(person.date_joined),
        "last_sign_in_at": _when(person.last_login),
    }
    labels = {
        "name": _("Name"),
        "email": _("Email"),
        "phone": _("Phone"),
        "customer_id": _("Customer ID"),
        "preferred_language": _("Language"),
        "time_zone": _("Time zone"),
        "joined_at": _("Joined"),
        "last_sign_in_at": _("Last signed in"),
    }
    language = person.preferred_language
    consents = [
        {
            "document": acceptance.policy_version.get_document_display(),
            "version": acceptance.policy_version.version,
            "title": acceptance.policy_version.title_in(language),
            "accepted_at": _when(acceptance.accepted_at),
            "through": acceptance.get_channel_display(),
            "from_address": acceptance.ip_address,
        }
        for acceptance in PolicyAcceptance.objects.filter(user=person)
        .select_related("policy_version")
        .order_by("accepted_at", "pk")
    ]
    consent_labels = {
        "document": _("Document"),
        "version": _("Version"),
        "title": _("Title"),
        "accepted_at": _("Accepted"),
        "through": _("Through"),
        "from_address": _("From address"),
    }
    return [
        ExportSection("profile", _("Your profile"), [profile], labels),
        ExportSection("consents", _("Policies you accepted"), consents, consent_labels),
    ]


def erase(person) -> dict[str, int]:
    """The person's row stays (decisions and appeals point at it), with nothing that names
    or reaches them: no name, email, phone or customer ID, no way to sign in. Their consents
    stay (which version, when) without the address and browser they were given from."""
    ApiToken.objects.filter(user=person).delete()
    consents = PolicyAcceptance.objects.filter(user=person).update(ip_address=None, user_agent="")
    person.full_name = ""
    person.email = f"erased-{person.pk}@erased.invalid"
    person.phone = None
    person.customer_id = None
    person.password = make_password(None)
    person.is_active = False
    person.erased_at = timezone.now()
    person.save(
        update_fields=[
            "full_name",
            "email",
            "phone",
            "customer_id",
            "password",
            "is_active",
            "erased_at",
        ]
    )
    return {"profile": 1, "consent_addresses": consents}
