from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from desk.demo import demo_logins, seed_organisation, seed_simulation_round
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
        for username, what in demo_logins():
            self.stdout.write(f"  {username:<22} {what}")
