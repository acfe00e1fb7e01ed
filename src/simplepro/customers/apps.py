from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "simplepro.customers"
    label = "customers"
