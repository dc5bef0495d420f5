"""Says clearly whether the database and Redis the settings name are reachable."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from desk.selectors import broker_status


class Command(BaseCommand):
    help = "Check that the configured database and Redis answer."

    def handle(self, *args, **options):
        db = settings.DATABASES["default"]
        where = f"{db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''}:{db.get('PORT') or ''}"
        try:
            if connection.vendor == "postgresql":
                # The maintenance database: the test run creates its own.
                import psycopg

                psycopg.connect(
                    host=db["HOST"],
                    port=db["PORT"] or 5432,
                    user=db["USER"],
                    password=db["PASSWORD"],
                    dbname="postgres",
                    connect_timeout=3,
                ).close()
            else:
                connection.ensure_connection()
        except Exception as exc:  # any driver error means: not reachable
            raise CommandError(
                f"The database ({where}) is unreachable: {exc}".strip()
                + "\nStart it with: pg_ctlcluster --skip-systemctl-redirect "
                "$(ls /etc/postgresql) main start"
            ) from None
        broker = broker_status()
        if broker == "unavailable":
            raise CommandError(
                f"Redis ({settings.REDIS_URL}) is unreachable.\nStart it with: redis-server "
                '--daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no'
            )
        self.stdout.write(f"database {where}: ok; redis: {broker}")
