from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "simplepro.accounts"
    label = "accounts"
