"""Demo people for `manage.py seed_demo`: borrowers in every situation and staff of every role.

The credit and appeals apps put these borrowers' lines and cases into their situations.
"""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from . import demo_policies as texts
from . import roles
from .models import User

DEMO_PASSWORD = "recourse-demo"


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    situation: str
    customer_id: str | None = None
    phone: str | None = None
    language: str = "zh-hans"
    role: str | None = None


BORROWERS = (
    DemoPerson("li.wei@demo.recourse", "李伟", "active", "C-1001", "+8613800001001"),
    DemoPerson("wang.fang@demo.recourse", "王芳", "closing", "C-1002", "+8613800001002"),
    DemoPerson(
        "zhang.min@demo.recourse",
        "张敏",
        "closed, appeal in review; records under a legal hold",
        "C-1003",
        "+8613800001003",
    ),
    DemoPerson(
        "chen.jie@demo.recourse", "陈杰", "frozen by a campaign", "C-1004", "+8613800001004"
    ),
    DemoPerson(
        "emma.liu@demo.recourse",
        "Emma Liu",
        "reinstated after a system error; a copy of her data ready (Settings → Your data)",
        "C-1005",
        "+8613800001005",
        language="en",
    ),
    DemoPerson(
        "liu.yang@demo.recourse",
        "刘洋",
        "closing, closure on hold by an appeal in review",
        "C-1006",
        "+8613800001006",
    ),
    DemoPerson(
        "zhao.lei@demo.recourse",
        "赵磊",
        "limit reduced (long clean history)",
        "C-1007",
        "+8613800001007",
        language="en",
    ),
    DemoPerson(
        "sun.li@demo.recourse",
        "孙丽",
        "key customer: a closure staged for staff review",
        "C-1008",
        "+8613800001008",
    ),
    DemoPerson(
        "he.jun@demo.recourse",
        "何军",
        "active; last night's run would close the line (held by the circuit breaker)",
        "C-1009",
        "+8613800001009",
    ),
    DemoPerson(
        "qian.hua@demo.recourse",
        "钱华",
        "limit reduction scheduled (notice period running)",
        "C-1010",
        "+8613800001010",
    ),
)
STAFF = (
    DemoPerson("agent@demo.recourse", "Agent Zhao", "staff", role=roles.AGENT, language="en"),
    DemoPerson(
        "reviewer@demo.recourse", "Reviewer Sun", "staff", role=roles.REVIEWER, language="en"
    ),
    DemoPerson(
        "supervisor@demo.recourse", "Supervisor Qian", "staff", role=roles.SUPERVISOR, language="en"
    ),
    # A second supervisor: a new rule version is asked for by one and approved by another.
    DemoPerson(
        "supervisor2@demo.recourse", "Supervisor Hu", "staff", role=roles.SUPERVISOR, language="en"
    ),
    DemoPerson("auditor@demo.recourse", "Auditor Zhou", "staff", role=roles.AUDITOR, language="en"),
)


def seed(stdout=None) -> dict[str, User]:
    """Demo people, then the policy documents they accepted."""
    people = seed_people()
    seed_policies(people, stdout=stdout)
    return people


@transaction.atomic
def seed_people() -> dict[str, User]:
    """Create or refresh the demo people; running it twice changes nothing more."""
    people: dict[str, User] = {}
    for person in BORROWERS + STAFF:
        user, created = User.objects.get_or_create(
            email=person.email,
            defaults={
                "full_name": person.full_name,
                "customer_id": person.customer_id,
                "phone": person.phone,
                "preferred_language": person.language,
                "is_staff": person.role is not None,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if person.role:
            user.groups.set([Group.objects.get(name=person.role)])
        people[person.email] = user
    return people


def describe() -> list[tuple[str, str]]:
    """(login, what it shows) rows for the start-up banner."""
    rows = []
    for p in BORROWERS + STAFF:
        situation = p.situation if not p.role else p.role
        if p.email == GATED_BORROWER:
            situation += "; meets the consent page (a new privacy policy to accept)"
        rows.append((p.email, situation))
    return rows


# --- Policy documents ----------------------------------------------------------------------

# Every demo borrower accepted the documents in force, and the November privacy policy,
# except this one, who is asked to read and accept it before anything else.
GATED_BORROWER = "he.jun@demo.recourse"


POLICIES = (
    # document, version, titles, bodies, what changed (zh, en)
    (
        "credit_agreement",
        "2025-06",
        ("借款协议", "Credit agreement"),
        (texts.AGREEMENT_ZH, texts.AGREEMENT_EN),
        ("", ""),
    ),
    (
        "automated_decisions",
        "2025-06",
        ("自动化决策说明", "How automated decisions work"),
        (texts.DECISIONS_ZH, texts.DECISIONS_EN),
        ("", ""),
    ),
    (
        "privacy_policy",
        "2025-06",
        ("隐私政策", "Privacy policy"),
        (texts.PRIVACY_V1_ZH, texts.PRIVACY_V1_EN),
        ("", ""),
    ),
    (
        "privacy_policy",
        "2026-11",
        ("隐私政策", "Privacy policy"),
        (texts.PRIVACY_V2_ZH, texts.PRIVACY_V2_EN),
        (
            "新增“您的权利”一节：下载您的数据、申请删除账户，以及保留期结束后的匿名化处理。",
            'A new section, "Your rights": downloading your data, asking us to delete your '
            "account, and anonymising personal details after the retention period.",
        ),
    ),
)


def seed_policies(people: dict[str, User], stdout=None) -> None:
    """Publish the demo documents through the services, as a supervisor does, and have the
    demo borrowers accept them (all but GATED_BORROWER accept the newest privacy policy)."""
    from django.utils import timezone

    from . import consent, services
    from .models import ConsentChannel, PolicyVersion

    supervisor = people["supervisor@demo.recourse"]
    borrowers = [people[p.email] for p in BORROWERS]
    for document, version, titles, bodies, changes in POLICIES:
        row = PolicyVersion.objects.filter(document=document, version=version).first()
        if row is None:
            row = services.policy_version_save_draft(
                version=PolicyVersion(
                    document=document,
                    version=version,
                    title_zh=titles[0],
                    title_en=titles[1],
                    body_zh=bodies[0],
                    body_en=bodies[1],
                    changes_zh=changes[0],
                    changes_en=changes[1],
                    effective_on=timezone.localdate(),
                )
            )
        if not row.is_published:
            services.policy_version_publish(version=row, actor=supervisor)
            # The announcement is queued to the worker; the demo tells the borrowers now.
            services.policy_version_announce(version_id=row.pk)
        in_force = {v.pk for v in consent.current_versions()}
        for borrower in borrowers:
            if borrower.email == GATED_BORROWER and version == "2026-11":
                continue
            if row.pk in in_force and not borrower.acceptances.filter(policy_version=row):
                services.policies_accept(
                    user=borrower,
                    version_ids=[row.pk],
                    channel=ConsentChannel.WEB,
                    ip_address="127.0.0.1",
                    user_agent="seed_demo",
                )
    if stdout is not None:
        stdout.write(f"accounts: {len(POLICIES)} policy versions; {GATED_BORROWER} meets the gate")


def seed_later_acceptances(stdout=None) -> None:
    """After every app has seeded: the borrowers other apps' demos added (the lessons and the
    report's history) accepted the documents in force too, so only GATED_BORROWER meets the
    consent page."""
    from . import consent, services
    from .models import ConsentChannel

    in_force = [v.pk for v in consent.current_versions()]
    if not in_force:
        return
    count = 0
    for borrower in User.objects.filter(is_staff=False, is_active=True).exclude(
        email=GATED_BORROWER
    ):
        missing = set(in_force) - set(
            borrower.acceptances.filter(policy_version__in=in_force).values_list(
                "policy_version", flat=True
            )
        )
        if missing:
            services.policies_accept(
                user=borrower,
                version_ids=sorted(missing),
                channel=ConsentChannel.WEB,
                ip_address="127.0.0.1",
                user_agent="seed_demo",
            )
            count += 1
    if stdout is not None and count:
        stdout.write(f"accounts demo: {count} more borrowers accepted the policies in force.")


def seed_data_rights(stdout=None) -> None:
    """After every app has seeded: Emma has a copy of her data ready on Settings → Your data,
    and Zhang Min's records are under a legal hold placed by the supervisor (admin → Legal
    holds). Runs after the other apps so the copy holds her line, decisions and messages."""
    from .models import DataExport, DataExportStatus, LegalHold
    from .rights import data_export_build, data_export_request, legal_hold_place

    emma = User.objects.get(email="emma.liu@demo.recourse")
    if not DataExport.objects.filter(owner=emma, status=DataExportStatus.READY).exists():
        export = data_export_request(person=emma)
        data_export_build(export_id=export.pk)
    zhang = User.objects.get(email="zhang.min@demo.recourse")
    if not LegalHold.objects.filter(person=zhang, lifted_at__isnull=True).exists():
        legal_hold_place(
            person=zhang,
            reason="Consumer protection inquiry CP-2026-031: keep every record until closed.",
            actor=User.objects.get(email="supervisor@demo.recourse"),
        )
    if stdout is not None:
        stdout.write("accounts demo: Emma's data copy is ready; Zhang Min is under a legal hold.")
