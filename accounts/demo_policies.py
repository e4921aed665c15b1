# ruff: noqa: E501
"""The demo's policy texts (seed_demo), one paragraph a line."""

AGREEMENT_ZH = """本协议是您与贷款方之间关于循环信用额度（借款额度）的约定。

1. 额度与借款：贷款方根据信用评估给予您一个额度（额度），您可以在额度内随借随还。
2. 还款：请按每期账单按时还款（按时还款）。逾期会产生费用，并可能报送征信报告。
3. 额度调整：贷款方的自动化风险系统会定期评估您的额度，可能调低额度、暂停使用或关闭额度。除法律另有规定外，关闭前会给您缓冲期，并告知主要原因和您可以这样做的事。
4. 申诉：您可以对额度调整提出申诉（申诉），由专人审核；申诉期间关闭不会生效。
5. 联系我们：通过帮助中心提交服务请求，客服专员会答复您。"""

AGREEMENT_EN = """This agreement is between you and the lender about your revolving credit line.

1. Limit and borrowing: the lender gives you a credit limit based on a credit assessment; you borrow and repay within it.
2. Repaying: please repay each statement on time. Late repayments cost fees and may be reported to the credit bureau.
3. Changes to your line: the lender's automated risk system reviews your line regularly and may reduce the limit, pause the line or close it. Unless the law requires otherwise, a closure comes with a notice period, and we tell you the main reasons and what you can do.
4. Appeals: you can appeal a change; a person reviews it, and a closure does not take effect while your appeal is open.
5. Contact: send a support request from Help and an agent answers you."""

DECISIONS_ZH = """我们如何使用自动化决策：

1. 信用评分：评分卡根据您的还款记录、在其他平台的借款和申请（多头借贷）、负债与收入等因素计算信用评分。
2. 决策：评分和产品规则决定是否保持、调低、暂停或关闭额度。每项决定都记录所用的评分卡和规则版本。
3. 原因：我们展示最多 4 个主要原因，按影响从大到小排列，并告诉您可以这样做。
4. 人工复核：您可以申诉，由专人审核；申诉未通过的，可在 14 天内申请复核，由另一位主管处理。任何拒绝都由具名的工作人员作出。"""

DECISIONS_EN = """How we use automated decisions:

1. Credit score: a scorecard works out your credit score from your repayment record, loans and applications at other platforms (borrowing at many platforms), debts against income and similar factors.
2. Decisions: the score and the product rules decide whether your line is kept, its limit reduced, paused or closed. Each decision records the scorecard and rule versions it used.
3. Reasons: we show up to 4 main reasons, most important first, with what you can do about each.
4. A person reviews: you can appeal and a person decides. If your appeal is not approved, you can ask for a second review within 14 days, decided by a different supervisor. Every refusal is made by a named member of staff."""

PRIVACY_V1_ZH = """我们收集并使用以下信息来提供服务：身份与联系方式、额度与还款记录、贷款方和征信机构发送的信用事件，以及您在申诉中提供的证明材料。

我们仅为评估和解释额度决定、处理申诉和通知您而使用这些信息。工作人员默认看到的联系方式经过遮盖；查看完整信息需要说明理由，并记入审计记录。

决定、通知和申诉至少保存 25 个月。"""

PRIVACY_V1_EN = """We collect and use this information to provide the service: your identity and contact details, your credit line and repayment record, credit events sent by the lender and the credit bureau, and the supporting documents you give us with an appeal.

We use it only to make and explain decisions about your credit line, to handle appeals and to tell you about them. Staff see your contact details masked; seeing them in full needs a reason, which is recorded in the audit trail.

Decisions, notices and appeals are kept for at least 25 months."""

PRIVACY_V2_ZH = (
    PRIVACY_V1_ZH
    + """

您的权利：您可以下载您的数据副本，也可以申请删除账户。法律要求保留的记录（如决定和申诉）会在保留期内继续保存，并向您说明；保留期结束后，个人信息会被匿名化处理。"""
)

PRIVACY_V2_EN = (
    PRIVACY_V1_EN
    + """

Your rights: you can download a copy of your data and ask us to delete your account. Records the law requires us to keep (such as decisions and appeals) are kept for the retention period, and we tell you which; after that, personal details are anonymised."""
)
