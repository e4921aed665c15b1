"""The v1 reason-code catalogue, scorecard and decision policy (documented in
docs/credit-policy.md). Reason texts are data that staff edit in the admin, not gettext."""

from django.db import migrations
from django.utils import timezone

# code, category, appealable, default buffer days, (title, explanation, advice) zh, then en
REASON_CODES = [
    (
        "multi_lending_open_loans", "multi_lending", True, 30,
        (
            "您在其他平台有多笔未结清借款",
            "我们看到您目前在其他借贷平台有多笔尚未结清的借款。同时在多个平台借款（多头借贷）会增加还款压力，这是本次调整的主要因素之一。",
            "结清或减少其他平台的借款。借款结清后，我们会在收到记录时自动重新评估您的额度；如信息有误，您也可以提出申诉并上传结清证明。",
        ),
        (
            "You have several loans open at other platforms",
            "We can see several loans at other lending platforms that are not yet repaid. Borrowing at many platforms at once adds to what you have to repay each month, and it was one of the main factors in this decision.",
            "Repay or close some of those loans. We re-evaluate your credit line automatically when we receive the update. If our information is wrong, you can appeal and upload proof that the loans are closed.",
        ),
    ),
    (
        "multi_lending_applications", "multi_lending", True, 30,
        (
            "您近期在多个平台申请了借款",
            "最近 30 天内，您在多个其他平台提交了借款申请。短时间内多次申请借款（多头借贷）通常意味着资金需求较紧张，因此影响了您的信用评分。较早的申请影响会逐渐减小。",
            "近期尽量避免在多个平台申请借款。申请记录的影响会在 30 至 90 天内逐步降低，我们会定期重新评估。",
        ),
        (
            "You recently applied for loans at several platforms",
            "In the last 30 days you applied for loans at several other platforms. Many applications in a short time usually mean money is tight, so they lowered your credit score. Older applications count for less and less.",
            "Avoid applying at several platforms for a while. The effect of an application fades over 30 to 90 days, and we re-evaluate regularly.",
        ),
    ),
    (
        "multi_lending_excessive", "multi_lending", True, 30,
        (
            "您在其他平台的未结清借款过多",
            "您目前在其他平台未结清的借款笔数超过了我们产品允许的上限（6 笔）。这一条规则不看评分，单独生效。",
            "结清部分其他平台的借款，使未结清借款少于 6 笔；收到结清记录后我们会自动重新评估。如信息有误，请提出申诉。",
        ),
        (
            "You have too many loans open at other platforms",
            "You have more loans open at other platforms than our product allows (6). This rule applies on its own, whatever your credit score.",
            "Close some of those loans so that fewer than 6 remain open. We re-evaluate automatically once we receive the update. If our information is wrong, please appeal.",
        ),
    ),
    (
        "repayment_late", "repayment", True, 30,
        (
            "近 12 个月有还款未按时完成",
            "在过去 12 个月应还的分期中，有部分没有在到期日当天结束前还清。按时还款的比例是信用评分中最重要的因素。",
            "开启自动还款或设置还款提醒，保持按时还款。如您认为某笔还款记录有误（例如已按时还款但未入账），请提出申诉并上传还款凭证。",
        ),
        (
            "Some repayments in the last 12 months were late",
            "Some instalments that fell due in the last 12 months were not repaid by the end of their due date. The share of repayments made on time is the most important part of your credit score.",
            "Turn on automatic repayment or reminders so each instalment is paid on time. If a repayment is recorded wrongly (you paid on time but it was not credited), please appeal and upload the receipt.",
        ),
    ),
    (
        "repayment_history_short", "repayment", True, 30,
        (
            "您的还款记录还不够长",
            "您在我们这里的还款记录还比较少，我们暂时无法充分了解您的还款习惯。",
            "继续按时还款。随着还款记录增加，您的信用评分会逐步反映出来。",
        ),
        (
            "Your repayment record is still short",
            "You have made only a few repayments with us so far, so we cannot yet see your repayment habits in full.",
            "Keep repaying on time. As your repayment record grows, your credit score will reflect it.",
        ),
    ),
    (
        "external_overdue", "repayment", True, 30,
        (
            "您在其他平台有逾期记录",
            "近 12 个月内，您在其他平台有借款逾期。逾期天数越长，对信用评分的影响越大。",
            "尽快还清其他平台的逾期款项，并保持按时还款。如您已还清或记录有误，请提出申诉并上传证明材料。",
        ),
        (
            "A loan at another platform was overdue",
            "In the last 12 months a loan at another platform was overdue. The longer it was overdue, the more it lowers your credit score.",
            "Repay the overdue amount at that platform as soon as you can and keep repaying on time. If it is already repaid or the record is wrong, please appeal and upload supporting documents.",
        ),
    ),
    (
        "external_overdue_serious", "repayment", True, 30,
        (
            "您在其他平台有严重逾期",
            "近 12 个月内，您在其他平台有借款逾期达到 90 天或以上。按照我们的产品规则，这种情况会单独触发额度调整，不论信用评分高低。",
            "尽快与该平台联系并还清逾期款项。如记录有误或已经结清，请在缓冲期内提出申诉并上传证明材料，申诉期间不会关闭您的额度。",
        ),
        (
            "A loan at another platform was seriously overdue",
            "In the last 12 months a loan at another platform was overdue by 90 days or more. Under our product rules this leads to a change of your credit line on its own, whatever your credit score.",
            "Contact that platform and repay the overdue amount. If the record is wrong or the loan is settled, appeal within the notice period and upload supporting documents; we will not close your credit line while your appeal is open.",
        ),
    ),
    (
        "debt_to_income_high", "score_change", True, 30,
        (
            "您的负债相对收入偏高",
            "您在我们和其他平台的未还借款合计，相对您已核实的收入偏高。",
            "逐步减少未还借款；如您的收入有所增加，可以在 App 中更新收入证明，我们会重新评估。",
        ),
        (
            "Your debts are high compared with your income",
            "What you owe us and other platforms together is high compared with the income we have verified.",
            "Pay down some of what you owe. If your income has gone up, update your proof of income in the app and we will re-evaluate.",
        ),
    ),
    (
        "income_unverified", "score_change", True, 30,
        (
            "我们还没有核实您的收入",
            "我们没有您已核实的收入信息，因此无法判断您的还款能力，信用评分中这一项只能按较低分数计算。",
            "在 App 中提交收入证明（如工资流水）。核实后我们会自动重新评估。",
        ),
        (
            "We have not verified your income",
            "We have no verified income for you, so we cannot judge how much you can comfortably repay, and this part of your credit score counts low.",
            "Submit proof of income (such as salary statements) in the app. We re-evaluate automatically once it is verified.",
        ),
    ),
    (
        "account_age_short", "score_change", True, 30,
        (
            "您使用本产品的时间较短",
            "您开通信用额度的时间还不长。使用时间越长、记录越完整，信用评分越能反映您的实际情况。",
            "继续正常使用并按时还款，信用评分会随时间自然提升。",
        ),
        (
            "Your credit line is still new",
            "Your credit line was opened recently. The longer you use it, the better your credit score reflects how you actually repay.",
            "Keep using it normally and repaying on time; your credit score improves with time.",
        ),
    ),
    (
        "bureau_score_low", "score_change", True, 30,
        (
            "您的征信报告评分偏低",
            "征信机构最近提供的评分低于我们产品的要求区间。",
            "查看您的征信报告，确认信息是否准确；如有错误，可向征信机构提出异议，并向我们提出申诉。",
        ),
        (
            "Your credit report score is low",
            "The latest score from the credit bureau is below the range our product looks for.",
            "Check your credit report for mistakes. If something is wrong, raise it with the credit bureau and appeal to us.",
        ),
    ),
    (
        "bureau_score_missing", "score_change", True, 30,
        (
            "我们没有您的征信报告评分",
            "我们暂时没有收到征信机构对您的评分，这一项只能按中等分数计算。",
            "无需额外操作；收到征信评分后我们会自动重新评估。",
        ),
        (
            "We have no credit report score for you",
            "We have not yet received a score for you from the credit bureau, so this part counts as average.",
            "Nothing is needed from you; we re-evaluate automatically when the score arrives.",
        ),
    ),
    (
        "identity_document_expired", "regulatory", True, 0,
        (
            "您的身份证件已过期",
            "根据监管要求，我们必须持有您有效的身份证件信息。您登记的证件已过期，因此额度暂停使用，直到更新完成。",
            "在 App 中上传有效的身份证件并完成核验。核验通过后，我们会立即恢复您的额度。",
        ),
        (
            "Your identity document has expired",
            "Regulations require us to hold a valid identity document for you. The one on file has expired, so your credit line is paused until it is updated.",
            "Upload a valid identity document in the app and complete the check. We restore your credit line as soon as it is verified.",
        ),
    ),
    (
        "regulatory_requirement", "regulatory", False, 0,
        (
            "监管要求",
            "根据适用的法律法规或监管机构的要求，我们必须调整您的信用额度。这一调整立即生效。",
            "如需了解详情，请联系客服专员，我们会在法律允许的范围内向您说明。",
        ),
        (
            "Regulatory requirement",
            "Applicable laws or a regulator's instruction require us to change your credit line. The change takes effect at once.",
            "Contact an agent for details; we will explain as far as the law allows.",
        ),
    ),
    (
        "policy_adjustment", "policy_adjustment", True, 30,
        (
            "产品运营策略调整",
            "我们调整了产品运营策略，部分用户的额度因此发生变化。这不是因为您的还款表现。",
            "如您认为这次调整对您不合理，可以提出申诉，我们会由专人审核。",
        ),
        (
            "Product policy change",
            "We changed our product policy, and some credit lines changed as a result. This is not about how you repaid.",
            "If you think the change is unfair to you, appeal and a person will review it.",
        ),
    ),
    (
        "system_error", "system_error", False, 0,
        (
            "系统误操作",
            "此前对您额度的调整是由于我们的系统错误造成的，并非您的原因。我们已经更正，并对给您带来的不便深表歉意。",
            "无需任何操作。如果您因此产生了费用或其他损失，请联系客服专员，我们会协助处理。",
        ),
        (
            "System error (our mistake)",
            "The earlier change to your credit line was caused by an error in our systems, not by anything you did. We have corrected it and we are sorry for the trouble.",
            "Nothing is needed. If the error cost you fees or caused other loss, contact an agent and we will help.",
        ),
    ),
]

SCORECARD_V1 = {
    "base_points": 300,
    "attributes": [
        {
            "feature": "on_time_ratio_12m",
            "label": "On-time repayment ratio, last 12 months",
            "reason_code": "repayment_late",
            "bins": [
                {"label": "no instalment due yet", "missing": True, "points": 60, "reason_code": "repayment_history_short"},
                {"label": "below 80%", "max": 0.8, "points": 0},
                {"label": "80% to 90%", "min": 0.8, "max": 0.9, "points": 40},
                {"label": "90% to 97%", "min": 0.9, "max": 0.97, "points": 80},
                {"label": "97% or more", "min": 0.97, "points": 110},
            ],
        },
        {
            "feature": "open_external_loans",
            "label": "Loans open at other platforms now",
            "reason_code": "multi_lending_open_loans",
            "bins": [
                {"label": "none", "max": 1, "points": 130},
                {"label": "1", "min": 1, "max": 2, "points": 95},
                {"label": "2", "min": 2, "max": 3, "points": 50},
                {"label": "3 or more", "min": 3, "points": 0},
            ],
        },
        {
            "feature": "applications_weighted",
            "label": "Applications at other platforms (30 days weigh 1, 60 days 0.5, 90 days 0.25)",
            "reason_code": "multi_lending_applications",
            "bins": [
                {"label": "under 1", "max": 1, "points": 70},
                {"label": "1 to 2", "min": 1, "max": 2, "points": 50},
                {"label": "2 to 3", "min": 2, "max": 3, "points": 30},
                {"label": "3 or more", "min": 3, "points": 0},
            ],
        },
        {
            "feature": "overdue_max_days_12m",
            "label": "Longest overdue at other platforms, last 12 months (days)",
            "reason_code": "external_overdue",
            "bins": [
                {"label": "never overdue", "max": 1, "points": 90},
                {"label": "1 to 29 days", "min": 1, "max": 30, "points": 50},
                {"label": "30 to 59 days", "min": 30, "max": 60, "points": 20},
                {"label": "60 days or more", "min": 60, "points": 0},
            ],
        },
        {
            "feature": "debt_to_income",
            "label": "Debt to annual income",
            "reason_code": "debt_to_income_high",
            "bins": [
                {"label": "income not verified", "missing": True, "points": 30, "reason_code": "income_unverified"},
                {"label": "under 30%", "max": 0.3, "points": 60},
                {"label": "30% to 50%", "min": 0.3, "max": 0.5, "points": 45},
                {"label": "50% to 80%", "min": 0.5, "max": 0.8, "points": 25},
                {"label": "80% or more", "min": 0.8, "points": 0},
            ],
        },
        {
            "feature": "account_age_months",
            "label": "Months since the credit line opened",
            "reason_code": "account_age_short",
            "bins": [
                {"label": "under 6", "max": 6, "points": 10},
                {"label": "6 to 11", "min": 6, "max": 12, "points": 30},
                {"label": "12 to 23", "min": 12, "max": 24, "points": 45},
                {"label": "24 or more", "min": 24, "points": 60},
            ],
        },
        {
            "feature": "bureau_score",
            "label": "Latest credit report score",
            "reason_code": "bureau_score_low",
            "bins": [
                {"label": "no score on file", "missing": True, "points": 50, "reason_code": "bureau_score_missing"},
                {"label": "under 550", "max": 550, "points": 0},
                {"label": "550 to 649", "min": 550, "max": 650, "points": 30},
                {"label": "650 to 749", "min": 650, "max": 750, "points": 60},
                {"label": "750 or more", "min": 750, "points": 80},
            ],
        },
    ],
}

POLICY_V1 = {
    "keep_min_score": 700,
    "reduce_min_score": 680,
    "freeze_min_score": 670,
    "reduce_share": "0.300",
    "closure_buffer_days": 30,
    "knockouts": [
        {
            "name": "serious_overdue_elsewhere",
            "feature": "overdue_max_days_12m", "op": "gte", "value": 90,
            "outcome": "close", "reason_code": "external_overdue_serious",
        },
        {
            "name": "identity_document_expired",
            "feature": "identity_expired", "op": "eq", "value": True,
            "outcome": "freeze", "reason_code": "identity_document_expired",
        },
        {
            "name": "too_many_open_loans_elsewhere",
            "feature": "open_external_loans", "op": "gte", "value": 6,
            "outcome": "close", "reason_code": "multi_lending_excessive",
        },
    ],
    "segments": [
        {
            "name": "long_clean_history",
            "conditions": [
                {"feature": "account_age_months", "op": "gte", "value": 24},
                {"feature": "repayments_due_12m", "op": "gte", "value": 10},
                {"feature": "repayments_late_12m", "op": "eq", "value": 0},
                {"feature": "overdue_max_days_12m", "op": "eq", "value": 0},
            ],
            "close_becomes": "reduce_limit",
            "reduce_share": "0.500",
        }
    ],
}


def load_v1(apps, schema_editor):
    ReasonCode = apps.get_model("credit", "ReasonCode")
    Scorecard = apps.get_model("credit", "Scorecard")
    DecisionPolicy = apps.get_model("credit", "DecisionPolicy")
    for code, category, appealable, buffer_days, zh, en in REASON_CODES:
        ReasonCode.objects.update_or_create(
            code=code,
            defaults={
                "category": category,
                "appealable": appealable,
                "default_buffer_days": buffer_days,
                "title_zh": zh[0],
                "explanation_zh": zh[1],
                "advice_zh": zh[2],
                "title_en": en[0],
                "explanation_en": en[1],
                "advice_en": en[2],
            },
        )
    now = timezone.now()
    notes = "v1, shipped with the product; see docs/credit-policy.md."
    if not Scorecard.objects.filter(version=1).exists():
        Scorecard.objects.create(
            version=1, status="active", activated_at=now, notes=notes, **SCORECARD_V1
        )
    if not DecisionPolicy.objects.filter(version=1).exists():
        DecisionPolicy.objects.create(
            version=1, status="active", activated_at=now, notes=notes, **POLICY_V1
        )


class Migration(migrations.Migration):
    dependencies = [("credit", "0001_initial")]

    operations = [migrations.RunPython(load_v1, migrations.RunPython.noop)]
