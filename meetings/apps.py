from django.apps import AppConfig


class MeetingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "meetings"

    def ready(self):
        from desk.health import register_check
        from desk.operations import register_failure_source
        from meetings.health import reminder_counts
        from meetings.operations import SOURCE

        # Failed and overdue reminder deliveries in /healthz?detail=1.
        register_check("reminders", reminder_counts)
        # Failed reminder deliveries on the administrators' operations page.
        register_failure_source(SOURCE)
