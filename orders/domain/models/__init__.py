"""Typed SQLAlchemy 2 models for the whole domain of docs/spec.md §1, one module per capability.

Importing the package maps every table; `from orders.domain.models import Order` keeps working.
"""
from orders.domain.models.base import UTCDateTime
from orders.domain.models.catalog import CatalogItem, Delivery
from orders.domain.models.courses import (
    AcademicSession,
    Campus,
    Course,
    CourseLevel,
    OrderingPeriod,
    Organization,
    Section,
    SectionState,
    Term,
)
from orders.domain.models.feed import FeedChange, FeedKind, FeedRun
from orders.domain.models.institution import AdminAuditEntry, Institution
from orders.domain.models.mail import EmailStatus, OutboundEmail, ProgressReminder, ReminderKind, ReminderSent
from orders.domain.models.ordering import (
    ContentRequest,
    ContentRequestComment,
    ContentRequestStatus,
    EventKind,
    NoMaterialsAnswer,
    Order,
    OrderEvent,
    OrderLine,
    OrderNumberCounter,
    OrderSection,
    OrderStatus,
    PendingEdit,
    Requirement,
)
from orders.domain.models.people import (
    CoordinatorGrant,
    SignInFailure,
    SignInLock,
    TeachingAssignment,
    User,
    UserSession,
)
from orders.domain.models.students import (
    ChoiceEvent,
    ChoiceValue,
    Enrollment,
    EnrollmentState,
    ProgramMode,
    StudentChoice,
)

__all__ = [
    "UTCDateTime",
    "Institution",
    "AdminAuditEntry",
    "CourseLevel",
    "SectionState",
    "Campus",
    "Organization",
    "Term",
    "OrderingPeriod",
    "AcademicSession",
    "Course",
    "Section",
    "User",
    "TeachingAssignment",
    "CoordinatorGrant",
    "UserSession",
    "SignInFailure",
    "SignInLock",
    "Delivery",
    "CatalogItem",
    "OrderStatus",
    "EventKind",
    "Requirement",
    "ContentRequestStatus",
    "Order",
    "OrderSection",
    "OrderLine",
    "OrderEvent",
    "OrderNumberCounter",
    "ContentRequest",
    "ContentRequestComment",
    "PendingEdit",
    "NoMaterialsAnswer",
    "ProgramMode",
    "EnrollmentState",
    "ChoiceValue",
    "Enrollment",
    "StudentChoice",
    "ChoiceEvent",
    "EmailStatus",
    "OutboundEmail",
    "ReminderKind",
    "ReminderSent",
    "ProgressReminder",
    "FeedKind",
    "FeedRun",
    "FeedChange",
]
