from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "simplepro.audit"
    label = "audit"
