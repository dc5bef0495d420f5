from django.core.management.base import BaseCommand

from desk.demo import demo_totp_code


class Command(BaseCommand):
    help = (
        "Print the current two-factor code of the demo accounts (seed_demo's fixed "
        "key; real accounts enrol their own key, which this command does not read)."
    )

    def handle(self, *args, **options):
        self.stdout.write(demo_totp_code())
