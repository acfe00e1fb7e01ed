from django.urls import path

from simplepro.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("account/", views.AccountView.as_view(), name="account"),
    path(
        "account/sessions/<uuid:session_id>/end/",
        views.SessionEndView.as_view(),
        name="session-end",
    ),
    path("password-reset/", views.PasswordResetRequestView.as_view(), name="password-reset"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("users/", views.UserListView.as_view(), name="user-list"),
    path("users/new/", views.UserCreateView.as_view(), name="user-create"),
    path("users/<uuid:user_id>/", views.UserEditView.as_view(), name="user-edit"),
    path(
        "users/<uuid:user_id>/password-reset/",
        views.UserPasswordResetView.as_view(),
        name="user-password-reset",
    ),
    path("company/", views.CompanySettingsView.as_view(), name="company-settings"),
    path("audit/", views.AuditListView.as_view(), name="audit-list"),
]
