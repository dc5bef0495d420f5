from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"

    def ready(self):
        from desk.operations import register_failure_source
        from meetings.operations import SOURCE

        # Failed reminder deliveries on the administrators' operations page.
        register_failure_source(SOURCE)
