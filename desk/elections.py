"""Creating a Pilkada round from data: its stages and its contests.

The 2024 round ships as desk/data/pilkada2024.json; a 2029 round is another
file (or the admin), not code.
"""

import datetime
import json
from pathlib import Path

from django.db import transaction

from desk.models import Election, ElectionRound, Region, Stage

DATA_DIR = Path(__file__).resolve().parent / "data"


def _contest_regions(rule: dict):
    regions = Region.objects.all()
    if "level" in rule:
        regions = regions.filter(level=rule["level"])
    if "kinds" in rule:
        regions = regions.filter(kind__in=rule["kinds"])
    return regions.exclude(code__in=rule.get("except", [])).values_list("code", flat=True)


@transaction.atomic
def round_load(
    *, spec: dict, shift_days: int = 0, name: str | None = None, simulation: bool = False
):
    """Create or update a round from ``spec`` (the JSON's shape). ``shift_days``
    moves every date (a training round drawn from the 2024 calendar)."""
    shift = datetime.timedelta(days=shift_days)
    day = datetime.date.fromisoformat(spec["voting_day"]) + shift
    election_round, _ = ElectionRound.objects.update_or_create(
        name=name or spec["name"], defaults={"voting_day": day, "is_simulation": simulation}
    )
    for stage_name, start, end in spec["stages"]:
        Stage.objects.update_or_create(
            round=election_round,
            name=stage_name,
            defaults={
                "starts_on": datetime.date.fromisoformat(start) + shift,
                "ends_on": datetime.date.fromisoformat(end) + shift,
            },
        )
    existing = set(election_round.elections.values_list("region_id", "office"))
    Election.objects.bulk_create(
        Election(round=election_round, region_id=code, office=office)
        for office, rule in spec["contests"].items()
        for code in _contest_regions(rule)
        if (code, office) not in existing
    )
    return election_round


def load_spec(filename: str = "pilkada2024.json") -> dict:
    return json.loads((DATA_DIR / filename).read_text(encoding="utf-8"))
