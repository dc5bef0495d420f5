"""The demo seed: reports in each demo desk's office, loaded twice without change."""

from desk.demo import seed_organisation, seed_simulation_round
from neutrality.demo import seed
from neutrality.models import Report, ReportEvent


def test_demo_reports_are_routed_to_the_demo_offices_and_idempotent(db):
    desks = seed_organisation()
    election_round = seed_simulation_round()
    assert seed(desks=desks, election_round=election_round).startswith("neutrality: 8")
    events = ReportEvent.objects.count()
    assert (
        seed(desks=desks, election_round=election_round) == "neutrality: 0 laporan netralitas ASN"
    )
    assert ReportEvent.objects.count() == events
    offices = set(Report.objects.values_list("office__short_name", flat=True))
    assert offices == {
        "Bawaslu Pamekasan",
        "Bawaslu Bangkep",
        "Bawaslu Makassar",
        "Bawaslu Sulbar",
        "Bawaslu Kaltim",
    }
    assert Report.objects.filter(
        status="referred", referral_target__name__startswith="BKN"
    ).exists()
    assert Report.objects.filter(time_barred=True).count() == 1
