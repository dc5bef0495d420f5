from django.apps import AppConfig


class NeutralityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "neutrality"
