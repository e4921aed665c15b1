"""Three reasons' advice sent borrowers to "the app" to upload proof of income or an identity
document: Recourse has no such screen, and the lender's app is not ours to promise. What does
exist is an appeal with supporting documents, which a person reviews. Each changed text is a
new wording version for decisions from now on (old decisions keep what they said). Like
0009, it writes no audit entry: no one acted; this file, in the history, says who and why.

A code whose advice staff have already reworded is left alone.
"""

from django.db import migrations
from django.utils import timezone

FIELDS = ("title_zh", "title_en", "explanation_zh", "explanation_en", "advice_zh", "advice_en")

# code -> (advice as 0002 wrote it, in English; the new advice zh, en)
NEW_ADVICE = {
    "debt_to_income_high": (
        "Pay down some of what you owe. If your income has gone up, update your proof of "
        "income in the app and we will re-evaluate.",
        "逐步减少未还借款。如您的收入有所增加，可以提出申诉并上传收入证明（如工资流水），由专人审核后重新评估您的额度。",
        "Pay down some of what you owe. If your income has gone up, appeal and upload proof "
        "of income (such as salary statements): a person reviews it and we re-evaluate your "
        "credit line.",
    ),
    "income_unverified": (
        "Submit proof of income (such as salary statements) in the app. We re-evaluate "
        "automatically once it is verified.",
        "提出申诉并上传收入证明（如工资流水）。专人核实后，我们会重新评估您的额度。",
        "Appeal and upload proof of income (such as salary statements). Once a person has "
        "verified it, we re-evaluate your credit line.",
    ),
    "identity_document_expired": (
        "Upload a valid identity document in the app and complete the check. We restore your "
        "credit line as soon as it is verified.",
        "提出申诉并上传有效的身份证件，由专人核验。核验通过后，我们会恢复您的额度。",
        "Appeal and upload a valid identity document: a person checks it, and we restore your "
        "credit line once it is verified.",
    ),
}


def new_versions(apps, schema_editor):
    ReasonCode = apps.get_model("credit", "ReasonCode")
    ReasonWording = apps.get_model("credit", "ReasonWording")
    for code_name, (old_en, advice_zh, advice_en) in NEW_ADVICE.items():
        code = ReasonCode.objects.filter(code=code_name).first()
        if code is None or code.advice_en.strip() != old_en:
            continue
        version = (
            ReasonWording.objects.filter(reason_code=code)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        ) + 1
        code.advice_zh, code.advice_en = advice_zh, advice_en
        wording = ReasonWording.objects.create(
            reason_code=code, version=version, **{name: getattr(code, name) for name in FIELDS}
        )
        ReasonCode.objects.filter(pk=code.pk).update(
            advice_zh=advice_zh, advice_en=advice_en, wording=wording, updated_at=timezone.now()
        )


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0012_merge_after_scheduled_changes"),
    ]

    operations = [migrations.RunPython(new_versions, migrations.RunPython.noop)]
