from __future__ import annotations

from django.db.models import Q, QuerySet

from simplepro.accounts.models import DeviceSession, User

USER_ORDERINGS = {
    "username",
    "-username",
    "date_joined",
    "-date_joined",
    "role",
    "-role",
    "last_login",
    "-last_login",
    "email",
    "-email",
}


def active_sessions(*, user: User) -> QuerySet[DeviceSession]:
    return DeviceSession.objects.active().filter(user=user)


def user_list(
    *, search: str = "", role: str = "", is_active: bool | None = None, ordering: str = "username"
) -> QuerySet[User]:
    users = User.objects.all()
    if search:
        users = users.filter(
            Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
        )
    if role:
        users = users.filter(role=role)
    if is_active is not None:
        users = users.filter(is_active=is_active)
    return users.order_by(ordering if ordering in USER_ORDERINGS else "username", "id")


def salespeople() -> QuerySet[User]:
    return User.objects.filter(
        is_active=True, role__in=["sales", "manager", "admin", "super_admin"]
    )
