"""The one permission map: who may do what. API endpoints, HTML views and the sidebar all ask
`has_permission`; record-level scope (a salesperson sees the customers assigned to them) is
applied by `customer_scope`, so a record outside it is simply not found (404).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q

from simplepro.accounts.models import Role

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from simplepro.customers.models import Customer

CUSTOMER_ALL = frozenset(
    {
        "customers.view",
        "customers.create",
        "customers.change",
        "customers.archive",
        "customers.import",
        "customers.export",
    }
)
ADMINISTRATION = frozenset(
    {
        "users.view",
        "users.manage",
        "company.change",
        "audit.view",
        "pricing.manage",
        "tasks.view",
        "notifications.deliveries",
        "notifications.templates",
    }
)
EVERYONE = frozenset({"company.view", "inventory.view", "notifications.view", "messages.use"})
# Customers' SMS and e-mail threads (within the customer scope: sales their own), and the
# inbox of texts from numbers no customer has.
CUSTOMER_MESSAGES = frozenset({"messages.customers", "messages.unmatched"})
PRICING = frozenset(
    {
        "estimates.calculate",
        "estimates.view",
        "estimates.create",
        "estimates.change",
        "estimates.send",
        "estimates.decide",
    }
)

# Jobs and dispatch: the office runs the day; sales and customer service follow their
# customers' jobs; crew see the jobs they are on, and a crew lead moves them along.
DISPATCH = frozenset({"jobs.view", "jobs.manage", "crew.view", "crew.manage", "messages.teams"})
FIELD = frozenset({"jobs.view", "time_off.request"})

# The sales pipeline: salespeople work their own opportunities, managers and administrators
# all of them; customer service reads them and logs calls. Lead forms and follow-up rules
# are the administrators'.
SALES_WORK = frozenset(
    {"opportunities.view", "opportunities.change", "activities.log", "leads.enter"}
)
SALES_SETUP = frozenset({"sales.configure"})
# Referral partners: the office sees referrals (sales those of their own opportunities) and
# enters them; managers and administrators keep the partners and their commission terms;
# administrators pay commissions. Partners themselves are not users: their portal signs
# them in apart (simplepro.partners.portal) and this map grants them nothing.
REFERRALS = frozenset({"referrals.view", "referrals.enter"})
PARTNER_SETUP = frozenset({"partners.manage"})
COMMISSIONS = frozenset({"commissions.pay"})

# Documents and photos: everyone who works a customer sees and adds them (crew on their own
# jobs only, through the job scope); the office shares them by link; managers and
# administrators archive them. Versions are never deleted.
DOCUMENTS = frozenset({"documents.view", "documents.upload"})
DOCUMENT_SHARING = frozenset({"documents.share"})
DOCUMENT_ARCHIVE = frozenset({"documents.archive"})
DOCUMENT_ALL = DOCUMENTS | DOCUMENT_SHARING | DOCUMENT_ARCHIVE

# The move's paperwork: the office and the crew lead print it (and record the booklet and paper
# originals); anyone on the job notes items' condition and hands the customer the phone to
# sign; everyone who sees it may verify a signature.
PAPERWORK_PRINT = frozenset({"paperwork.print"})
PAPERWORK_FIELD = frozenset({"paperwork.record", "paperwork.verify"})
PAPERWORK_ALL = PAPERWORK_PRINT | PAPERWORK_FIELD

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.SUPER_ADMIN: EVERYONE
    | CUSTOMER_ALL
    | ADMINISTRATION
    | PRICING
    | DISPATCH
    | CUSTOMER_MESSAGES
    | SALES_WORK
    | SALES_SETUP
    | REFERRALS
    | PARTNER_SETUP
    | COMMISSIONS
    | DOCUMENT_ALL
    | PAPERWORK_ALL,
    # Unlike the original, an admin runs the business too: customers included.
    Role.ADMIN: EVERYONE
    | CUSTOMER_ALL
    | ADMINISTRATION
    | PRICING
    | DISPATCH
    | CUSTOMER_MESSAGES
    | SALES_WORK
    | SALES_SETUP
    | REFERRALS
    | PARTNER_SETUP
    | COMMISSIONS
    | DOCUMENT_ALL
    | PAPERWORK_ALL,
    Role.MANAGER: EVERYONE
    | CUSTOMER_ALL
    | PRICING
    | DISPATCH
    | CUSTOMER_MESSAGES
    | SALES_WORK
    | REFERRALS
    | PARTNER_SETUP
    | DOCUMENT_ALL
    | PAPERWORK_ALL
    | {"users.view", "audit.view"},
    Role.DISPATCHER: EVERYONE
    | DISPATCH
    | CUSTOMER_MESSAGES
    | DOCUMENTS
    | DOCUMENT_SHARING
    | PAPERWORK_ALL
    | {"customers.view", "users.view", "estimates.view"},
    # A salesperson texts their own customers; texts from unknown numbers are the office's.
    Role.SALES: EVERYONE
    | PRICING
    | SALES_WORK
    | REFERRALS
    | DOCUMENTS
    | DOCUMENT_SHARING
    | PAPERWORK_ALL
    | {
        "customers.view",
        "customers.create",
        "customers.change",
        "customers.export",
        "jobs.view",
        "messages.customers",
    },
    Role.CUSTOMER_SERVICE: EVERYONE
    | PRICING
    | CUSTOMER_MESSAGES
    | {"opportunities.view", "activities.log", "leads.enter"}
    | REFERRALS
    | DOCUMENTS
    | DOCUMENT_SHARING
    | PAPERWORK_ALL
    | {"customers.view", "customers.change", "customers.create", "users.view", "jobs.view"},
    Role.CREW_LEAD: EVERYONE | FIELD | DOCUMENTS | PAPERWORK_ALL | {"jobs.progress"},
    Role.CREW_MEMBER: EVERYONE | FIELD | DOCUMENTS | PAPERWORK_FIELD,
}

# Roles whose customer access is limited to the customers assigned to them.
OWN_CUSTOMERS_ONLY = frozenset({Role.SALES})
# Roles who see only the opportunities assigned to them (and the activities on those).
OWN_OPPORTUNITIES_ONLY = frozenset({Role.SALES})
# Roles who see only the jobs they are assigned to.
OWN_JOBS_ONLY = frozenset({Role.CREW_LEAD, Role.CREW_MEMBER})


def opportunity_readers_filter(salesperson_id: Any) -> Q:
    """The users who may read an opportunity worked by `salesperson_id`, as a filter on
    users (who hears of a change to it)."""
    roles = roles_with("opportunities.view")
    return Q(role__in=roles - OWN_OPPORTUNITIES_ONLY) | Q(
        role__in=roles & OWN_OPPORTUNITIES_ONLY, pk=salesperson_id
    )


# Only a super administrator may create, change or deactivate another super administrator.
PRIVILEGED_ROLES = frozenset({Role.SUPER_ADMIN})


# How far a role may discount an estimate by hand (percent of the price before the discount).
DISCOUNT_LIMITS: dict[str, Decimal] = {
    Role.SUPER_ADMIN: Decimal(100),
    Role.ADMIN: Decimal(100),
    Role.MANAGER: Decimal(25),
    Role.SALES: Decimal(10),
    Role.CUSTOMER_SERVICE: Decimal(5),
}


def discount_limits(company: Any) -> dict[str, Decimal]:
    """Every role's limit: the company's own where it set one, else the default."""
    own = {role: Decimal(str(value)) for role, value in (company.discount_limits or {}).items()}
    return {role: own.get(role, DISCOUNT_LIMITS.get(role, Decimal(0))) for role in Role.values}


def discount_limit_percent(user: Any, company: Any) -> Decimal:
    return discount_limits(company)[user.role]


def has_permission(user: Any, permission: str) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    return permission in ROLE_PERMISSIONS.get(user.role, frozenset())


def sees_own_customers_only(user: Any) -> bool:
    return bool(user.role in OWN_CUSTOMERS_ONLY)


def customer_scope(user: Any, queryset: QuerySet[Customer]) -> QuerySet[Customer]:
    """Restrict a customer queryset to what `user` may see (no access: nothing)."""
    if not has_permission(user, "customers.view"):
        return queryset.none()
    if sees_own_customers_only(user):
        return queryset.filter(assigned_salesperson=user)
    return queryset


def roles_with(permission: str) -> frozenset[str]:
    return frozenset(role for role, granted in ROLE_PERMISSIONS.items() if permission in granted)


def customer_readers(customer: Customer) -> Q:
    """The users `customer_scope` lets read `customer`, as a filter on users: its inverse, for
    deciding who hears about a change (real-time events) without asking every user in turn."""
    roles = roles_with("customers.view")
    return Q(role__in=roles - OWN_CUSTOMERS_ONLY) | Q(
        role__in=roles & OWN_CUSTOMERS_ONLY, pk=customer.assigned_salesperson_id
    )


def may_manage_role(actor: Any, role: str) -> bool:
    """Whether `actor` may give a user `role` or act on a user holding it."""
    if not has_permission(actor, "users.manage"):
        return False
    return role not in PRIVILEGED_ROLES or actor.role in PRIVILEGED_ROLES
