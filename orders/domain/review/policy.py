"""Which orders and changes wait for an approver (docs/spec.md §8): the organizations' policies and the royalty answer.

An order (or a change) waits when an organization of its sections reviews it under its policy (`approval`:
always; `pre-approved list`: when a catalog item it puts before students is not on that organization's
list, or it requests a title the catalog lacks), or when its royalty answer is Yes above the institution's
threshold. The policy is read at the moment of submitting: changing it later keeps waiting orders waiting.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select

from orders.domain.institution import institution
from orders.domain.models import Enrollment, EnrollmentState, OrderingPolicy, Organization, PreApprovedItem, Section
from orders.domain.review.royalty import RoyaltyAnswer
from orders.extensions import db


@dataclass(frozen=True)
class ReviewNeed:
    """What an order or change waits for: an approver (the policy), a royalty reviewer (the answer), or nothing."""

    approval: bool = False
    royalty: bool = False
    reason: str = ""  # in words, for the placer: why it waits

    @property
    def waits(self) -> bool:
        return self.approval or self.royalty


NO_REVIEW = ReviewNeed()


def organizations_of(sections: Iterable[Section]) -> list[Organization]:
    """The organizations of these sections, each once, by name."""
    ids = {s.organization_id for s in sections}
    if not ids:
        return []
    return list(db.session.scalars(select(Organization).where(Organization.id.in_(ids)).order_by(Organization.name)))


def on_list(organization_id: int, item_ids: Collection[int]) -> set[int]:
    """Those of `item_ids` on the organization's pre-approved list."""
    if not item_ids:
        return set()
    return set(db.session.scalars(
        select(PreApprovedItem.catalog_item_id)
        .where(PreApprovedItem.organization_id == organization_id, PreApprovedItem.catalog_item_id.in_(list(item_ids)))
    ))


def policy_need(sections: Iterable[Section], item_ids: Collection[int], *, requests: bool) -> ReviewNeed:
    """The policies of the sections' organizations, for an order (or change) putting `item_ids` (and, with
    `requests`, titles the catalog lacks) before the sections' students."""
    for organization in organizations_of(sections):
        policy = organization.ordering_policy
        if policy is OrderingPolicy.APPROVAL:
            return ReviewNeed(approval=True, reason=f"The {organization.name} reviews every order before it counts.")
        if policy is OrderingPolicy.PRE_APPROVED_LIST:
            missing = set(item_ids) - on_list(organization.id, item_ids)
            if missing or requests:
                return ReviewNeed(approval=True, reason=(
                    f"The {organization.name} places at once only orders whose materials are all on its "
                    "pre-approved list."
                ))
    return NO_REVIEW


def enrolled_counts(section_ids: Collection[int]) -> dict[int, int]:
    """section id -> students enrolled now."""
    if not section_ids:
        return {}
    rows = db.session.execute(
        select(Enrollment.section_id, func.count())
        .where(Enrollment.section_id.in_(list(section_ids)), Enrollment.state == EnrollmentState.ENROLLED)
        .group_by(Enrollment.section_id)
    ).all()
    return {section_id: count for section_id, count in rows}


def estimated_royalty(answer: RoyaltyAnswer, enrolled: int) -> Decimal | None:
    """The estimated royalty for a section of `enrolled` students: each named line's royalty per copy times
    the students; None when a named line has no estimate (then nobody can say it is below the threshold)."""
    if any(estimate is None for estimate in answer.items.values()):
        return None
    return sum((estimate for estimate in answer.items.values() if estimate is not None), Decimal(0)) * enrolled


def royalty_need(sections: Iterable[Section], answer: RoyaltyAnswer | None) -> ReviewNeed:
    """A Yes goes to a royalty reviewer whatever the policy: always, or (with the institution's threshold)
    when some section's estimated royalty is above it or unknown."""
    if answer is None or not answer.authored:
        return NO_REVIEW
    threshold = institution().royalty_review_threshold
    waits = ReviewNeed(
        royalty=True,
        reason="An instructor of this course wrote these materials or earns a royalty from them, "
        "so a royalty reviewer decides before the order counts.",
    )
    if threshold is None:
        return waits
    sections = list(sections)
    counts = enrolled_counts([s.id for s in sections])
    for section in sections:
        estimate = estimated_royalty(answer, counts.get(section.id, 0))
        if estimate is None or estimate > threshold:
            return waits
    return NO_REVIEW


def combined(by_policy: ReviewNeed, by_royalty: ReviewNeed) -> ReviewNeed:
    """Both: the royalty review (the stricter: it needs the royalty flag) wins when both apply."""
    if by_royalty.waits:
        return ReviewNeed(approval=by_policy.approval, royalty=True, reason=by_royalty.reason)
    return by_policy


def review_need(
    sections: Iterable[Section], item_ids: Collection[int], *, requests: bool, royalty: RoyaltyAnswer | None
) -> ReviewNeed:
    """What an order with these sections, catalog items (and, with `requests`, content requests) waits for."""
    sections = list(sections)
    return combined(policy_need(sections, item_ids, requests=requests), royalty_need(sections, royalty))
