from django.apps import AppConfig


class NeutralityConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "neutrality"

    def ready(self):
        from desk.grants import register_identity_roles
        from neutrality.access import IDENTITY_ROLES

        # Only a superuser grants these, and their holders sign in with a
        # second factor (desk.grants, desk.twofactor).
        register_identity_roles(IDENTITY_ROLES)
