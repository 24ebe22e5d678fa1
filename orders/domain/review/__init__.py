"""Review before an order counts (docs/spec.md §8): policies, approvers, the approval rule, its services, the digest.

policy.py       which orders and changes wait (an organization's policy, the royalty answer and its threshold)
royalty.py      the royalty question's answer, checked against the lines it names
approvers.py    who may decide a review (flagged grants, Program Administrators) and whom to email: Python and SQL
rules.py        approve_decision: the one predicate behind Approve / Return to placer and their routes
submitting.py   an order or a change goes to review, or is placed (applied) at once
deciding.py     approve and return: orders and changes, version-checked, once
digest.py       the approvers' daily digest (send-reminders)
organizations.py  the back office: each organization's policy and pre-approved list, audited
"""
