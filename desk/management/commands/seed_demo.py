from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from desk.demo import (
    demo_logins,
    demo_totp_secret,
    seed_organisation,
    seed_simulation_round,
    seed_two_factor,
)
from desk.models import Region
from logistics.demo import seed as seed_logistics
from meetings.demo import seed as seed_meetings
from meetings.demo import seed_links
from neutrality.demo import seed as seed_neutrality


class Command(BaseCommand):
    help = "Load the demo desks, people, users and a live training round (idempotent)."

    def handle(self, *args, **options):
        if not Region.objects.filter(code="76").exists():
            raise CommandError("Load the regions first: manage.py import_regions")
        desks = seed_organisation()
        election_round = seed_simulation_round()
        self.stdout.write(
            f"Training round: {election_round.name}, voting day {election_round.voting_day}"
        )
        for seed in (seed_meetings, seed_neutrality, seed_logistics):
            summary = seed(desks=desks, election_round=election_round)
            if summary:
                self.stdout.write(summary)
        if summary := seed_links(desks=desks):
            self.stdout.write(summary)
        self.stdout.write(
            self.style.SUCCESS(f"Demo logins (password: {settings.DESK_DEMO_PASSWORD}):")
        )
        two_factor = set(seed_two_factor())
        for username, what in demo_logins():
            mark = " (2FA)" if username in two_factor else ""
            self.stdout.write(f"  {username:<22} {what}{mark}")
        self.stdout.write(
            "Accounts marked 2FA also ask for a code: add the authenticator key "
            f"{demo_totp_secret()} (time-based, 6 digits, 30 s) to an authenticator app, "
            "or print the current code with: manage.py demo_code"
        )
