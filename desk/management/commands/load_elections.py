from django.core.management.base import BaseCommand, CommandError

from desk.elections import load_spec, round_load
from desk.models import Region


class Command(BaseCommand):
    help = "Create (or update) the Pilkada 2024 round: voting day, stages and its 545 contests."

    def add_arguments(self, parser):
        parser.add_argument("--file", default="pilkada2024.json", help="a JSON file in desk/data")

    def handle(self, *args, file: str, **options):
        if not Region.objects.filter(level=Region.Level.PROVINCE).exists():
            raise CommandError("Load the regions first: manage.py import_regions")
        election_round = round_load(spec=load_spec(file))
        counts = {
            office: election_round.elections.filter(office=office).count()
            for office in ("governor", "regent", "mayor")
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"{election_round.name}: voting day {election_round.voting_day}, "
                f"{sum(counts.values())} contests ({counts['governor']} governor, "
                f"{counts['regent']} bupati, {counts['mayor']} wali kota), "
                f"{election_round.stages.count()} stages."
            )
        )
