from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "desk"
    verbose_name = _("Organisasi desk")

    def ready(self):
        from desk import grants
        from desk.health import register_check
        from desk.operations import failed_task_counts

        grants.connect()
        # Tasks that failed for good, for a monitoring system (/healthz?detail=1).
        register_check("tasks", failed_task_counts)
