"""The appeal's states and the named sets of them, each defined once (pure: no ORM).

`AppealStatus` (appeals.models) takes its values from here, so the pure clock and the
assignment rule can name the same sets without importing the ORM.
"""

DRAFT = "draft"
SUBMITTED = "submitted"
IN_REVIEW = "in_review"
AWAITING_BORROWER = "awaiting_borrower"
APPROVED = "approved"
PARTIALLY_APPROVED = "partially_approved"
AUTO_APPROVED = "auto_approved"
DENIED = "denied"
SECOND_REVIEW = "second_review"
DENIED_FINAL = "denied_final"
WITHDRAWN = "withdrawn"
# Made moot: the line was restored by something other than the appeal (e.g. the borrower
# closed her other loans and the re-evaluation restored it) while the appeal was being worked.
RESOLVED = "resolved"
# A draft the borrower threw away: it was never sent, so it is not "withdrawn" and is not
# listed to the borrower any more (the row stays as the record of what was typed).
DISCARDED = "discarded"

# Being worked: submitted and not yet decided (or back for a second review). Such an appeal
# holds the closure of its line, counts towards its assignee's load and is in the desk's
# "open" queue. (Tuples in a fixed order: the database constraint and index name them.)
BEING_WORKED_STATES = (SUBMITTED, IN_REVIEW, AWAITING_BORROWER, SECOND_REVIEW)
# Open: being worked, or a draft. The borrower may withdraw from these and add evidence;
# at most one of them per credit line (a database constraint).
OPEN_STATES = (DRAFT, *BEING_WORKED_STATES)
EVIDENCE_STATES = OPEN_STATES
# A person has decided (or the re-evaluation restored the line): the survey may be answered.
RESOLVED_STATES = (APPROVED, PARTIALLY_APPROVED, AUTO_APPROVED, DENIED, DENIED_FINAL, RESOLVED)
FAVOURABLE_STATES = (APPROVED, PARTIALLY_APPROVED, AUTO_APPROVED)
# The first decision's clocks run: awaiting the borrower pauses them, and a second review is
# a new decision by a supervisor, outside the first appeal's resolution clock.
RUNNING_STATES = (SUBMITTED, IN_REVIEW)
# The resolution clock may be extended while the first decision is still owed.
EXTENDABLE_STATES = (SUBMITTED, IN_REVIEW, AWAITING_BORROWER)
# The borrower may write in the thread.
BORROWER_MESSAGE_STATES = BEING_WORKED_STATES
