from django.apps import AppConfig


class EstimatesConfig(AppConfig):
    name = "simplepro.estimates"
    label = "estimates"
