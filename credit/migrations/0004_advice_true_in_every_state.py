"""The advice for a serious overdue elsewhere promised "appeal within the notice period; we will
not close your credit line while your appeal is open", which is false on a line that is already
closed (the demo's C-1003 reads it there). The new words hold in every state; what an appeal
does to the line is said by the page, per state. Only the shipped text is replaced: a reason
code staff have since edited is left as they wrote it."""

from django.db import migrations

CODE = "external_overdue_serious"
OLD = {
    "advice_zh": "尽快与该平台联系并还清逾期款项。如记录有误或已经结清，请在缓冲期内提出申诉并上传证明材料，申诉期间不会关闭您的额度。",
    "advice_en": "Contact that platform and repay the overdue amount. If the record is wrong or the loan is settled, appeal within the notice period and upload supporting documents; we will not close your credit line while your appeal is open.",
}
NEW = {
    "advice_zh": "尽快与该平台联系并还清逾期款项。如记录有误或已经结清，请提出申诉并上传证明材料，我们会由专人审核。",
    "advice_en": "Contact that platform and repay the overdue amount. If the record is wrong or the loan is settled, appeal and upload supporting documents: a person will review them.",
}


def _swap(apps, source, target):
    ReasonCode = apps.get_model("credit", "ReasonCode")
    for field, text in source.items():
        ReasonCode.objects.filter(code=CODE, **{field: text}).update(**{field: target[field]})


def forwards(apps, schema_editor):
    _swap(apps, OLD, NEW)


def backwards(apps, schema_editor):
    _swap(apps, NEW, OLD)


class Migration(migrations.Migration):
    dependencies = [("credit", "0003_immutability_guards_and_staff_groups")]

    operations = [migrations.RunPython(forwards, backwards)]
