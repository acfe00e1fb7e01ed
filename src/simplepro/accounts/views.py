"""HTML pages for signing in, one's own account, users, company and the audit log.
Thin: every write goes through accounts.services, exactly like the API."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from simplepro.accounts import selectors, services
from simplepro.accounts.forms import (
    CompanyForm,
    LoginForm,
    PasswordChangeForm,
    UserCreateForm,
    UserEditForm,
)
from simplepro.accounts.middleware import WEB_SESSION_KEY
from simplepro.accounts.models import User
from simplepro.audit.selectors import audit_records
from simplepro.core.clientip import client_ip
from simplepro.core.problems import ProblemError
from simplepro.core.views import PermissionRequiredMixin, add_problem_to_form


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


class LoginView(View):
    template_name = "accounts/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect("dashboard")
        return render(request, self.template_name, {"form": LoginForm()})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = LoginForm(request.POST)
        status = 200
        if form.is_valid():
            ip = client_ip(request)
            try:
                user = services.credentials_check(
                    username=form.cleaned_data["username"],
                    password=form.cleaned_data["password"],
                    ip=ip,
                )
            except ProblemError as problem:
                form.add_error(None, problem.detail)
                status = problem.status
            else:
                device = services.web_session_start(
                    user=user, ip=ip, user_agent=request.headers.get("User-Agent", "")
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                request.session[WEB_SESSION_KEY] = str(device.pk)
                target = request.GET.get("next", "")
                safe = url_has_allowed_host_and_scheme(
                    target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
                )
                return redirect(target if safe and target else "dashboard")
        return render(request, self.template_name, {"form": form}, status=status)


class LogoutView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        device = getattr(request, "device_session", None)
        if device is not None:
            services.session_revoke(
                session=device, actor=_user(request), reason="logout", ip=client_ip(request)
            )
        logout(request)
        return redirect("login")


class AccountView(LoginRequiredMixin, View):
    def _render(
        self, request: HttpRequest, form: PasswordChangeForm, status: int = 200
    ) -> HttpResponse:
        sessions = selectors.active_sessions(user=_user(request))
        current = getattr(request, "device_session", None)
        return render(
            request,
            "accounts/account.html",
            {"form": form, "sessions": sessions, "current_session": current},
            status=status,
        )

    def get(self, request: HttpRequest) -> HttpResponse:
        return self._render(request, PasswordChangeForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = PasswordChangeForm(request.POST)
        if form.is_valid():
            try:
                services.password_change(
                    user=_user(request),
                    keep=getattr(request, "device_session", None),
                    **form.cleaned_data,
                )
            except ProblemError as problem:
                add_problem_to_form(form, problem)
                return self._render(request, form, status=422)
            messages.success(request, "Password changed. Your other sessions were signed out.")
            # The password hash changed; keep this browser signed in.
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, _user(request))
            return redirect("account")
        return self._render(request, form, status=422)


class SessionEndView(LoginRequiredMixin, View):
    def post(self, request: HttpRequest, session_id: UUID) -> HttpResponse:
        user = _user(request)
        session = get_object_or_404(selectors.active_sessions(user=user), pk=session_id)
        services.session_revoke(
            session=session, actor=user, reason="ended by user", ip=client_ip(request)
        )
        messages.success(request, "Session ended.")
        return redirect("account")


class PasswordResetRequestView(View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "accounts/password_reset.html")

    def post(self, request: HttpRequest) -> HttpResponse:
        services.password_reset_request_by_email(email=request.POST.get("email", "")[:254])
        return render(request, "accounts/password_reset.html", {"sent": True})


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("login")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        services.password_reset_complete(user=form.user)
        messages.success(self.request, "Your password is set. Sign in with it.")
        return response


class UserListView(PermissionRequiredMixin, View):
    permission = "users.manage"

    def get(self, request: HttpRequest) -> HttpResponse:
        users = selectors.user_list(search=request.GET.get("search", "")[:100])
        page = Paginator(users, 50).get_page(request.GET.get("page"))
        return render(request, "accounts/user_list.html", {"page": page})


class UserCreateView(PermissionRequiredMixin, View):
    permission = "users.manage"

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request, "accounts/user_form.html", {"form": UserCreateForm(), "creating": True}
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        form = UserCreateForm(request.POST)
        if form.is_valid():
            try:
                user = services.user_create(actor=_user(request), **form.cleaned_data)
            except ProblemError as problem:
                add_problem_to_form(form, problem)
            else:
                messages.success(
                    request, f"{user.username} was invited by e-mail to set a password."
                )
                return redirect("user-list")
        return render(
            request, "accounts/user_form.html", {"form": form, "creating": True}, status=422
        )


class UserEditView(PermissionRequiredMixin, View):
    permission = "users.manage"

    def get(self, request: HttpRequest, user_id: UUID) -> HttpResponse:
        target = get_object_or_404(User, pk=user_id)
        form = UserEditForm(initial={k: getattr(target, k) for k in UserEditForm.base_fields})
        return render(request, "accounts/user_form.html", {"form": form, "target": target})

    def post(self, request: HttpRequest, user_id: UUID) -> HttpResponse:
        target = get_object_or_404(User, pk=user_id)
        form = UserEditForm(request.POST)
        if form.is_valid():
            changed = {k: v for k, v in form.cleaned_data.items() if getattr(target, k) != v}
            try:
                services.user_update(actor=_user(request), user=target, **changed)
            except ProblemError as problem:
                add_problem_to_form(form, problem)
            else:
                messages.success(request, f"{target.username} was updated.")
                return redirect("user-list")
        return render(
            request, "accounts/user_form.html", {"form": form, "target": target}, status=422
        )


class UserPasswordResetView(PermissionRequiredMixin, View):
    permission = "users.manage"

    def post(self, request: HttpRequest, user_id: UUID) -> HttpResponseBase:
        target = get_object_or_404(User, pk=user_id)
        try:
            services.password_reset_request(actor=_user(request), user=target)
        except ProblemError as problem:
            messages.error(request, problem.explanation)
        else:
            messages.success(request, f"A password link was sent to {target.email}.")
        return redirect("user-edit", user_id=target.pk)


class CompanySettingsView(PermissionRequiredMixin, View):
    permission = "company.change"

    def get(self, request: HttpRequest) -> HttpResponse:
        company = services.company_get()
        return render(
            request,
            "accounts/company.html",
            {"form": CompanyForm(instance=company), "company": company},
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        company = services.company_get()
        form = CompanyForm(request.POST, request.FILES, instance=company)
        if form.is_valid():
            fields = {
                k: v
                for k, v in form.cleaned_data.items()
                if k != "logo" and not k.startswith("discount_")
            }
            fields["discount_limits"] = form.discount_limits()
            try:
                services.company_update(
                    actor=_user(request), logo=form.cleaned_data.get("logo"), **fields
                )
            except ProblemError as problem:
                add_problem_to_form(form, problem)
            else:
                messages.success(request, "Company settings saved.")
                return redirect("company-settings")
        company.refresh_from_db()
        return render(
            request, "accounts/company.html", {"form": form, "company": company}, status=422
        )


class AuditListView(PermissionRequiredMixin, View):
    permission = "audit.view"

    def get(self, request: HttpRequest) -> HttpResponse:
        records = audit_records(entity_type=request.GET.get("entity_type") or None)
        page = Paginator(records, 50).get_page(request.GET.get("page"))
        return render(request, "audit/audit_list.html", {"page": page})
