"""ASN neutrality at ten times Pilkada 2024's volume (433 reports nationally):
4,330 reports over the 514 kab/kota offices, 400 of them in one office.

- the office's triage queue (scope, deadline order, repeat-offender count),
  beside the bare indexed SELECT of the same rows;
- nationwide statistics (five grouped queries) for a Bawaslu RI officer,
  beside one COUNT(*) over the table;
- intake through the service (validation, routing, a JPEG's type check,
  SHA-256 and private write, event, audit), beside a bare INSERT of the row.
"""

import datetime
import io
import random
import statistics
import tempfile
import time

from bench.common import row, setup_bench_db

REPORTS = 4330
IN_ONE_OFFICE = 400
RUNS = 20
INTAKES = 100


def median_time(fn, runs=RUNS) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main():
    setup_bench_db()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.files.storage import FileSystemStorage
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.utils import timezone
    from PIL import Image

    from desk.models import Agency, Region, Role, RoleAssignment
    from desk.regions import import_regions
    from neutrality import selectors
    from neutrality.models import Category, Evidence, Report
    from neutrality.services import Intake, report_submit

    settings.NEUTRALITY_RATE_LIMITS = {}
    Evidence._meta.get_field("file").storage = FileSystemStorage(location=tempfile.mkdtemp())
    import_regions(villages_under=("35.28",))
    rng = random.Random(2024)
    regencies = list(Region.objects.filter(level="regency").order_by("code"))
    offices = {
        r.code: Agency.objects.create(region=r, kind=Agency.Kind.BAWASLU, name=f"Bawaslu {r.name}")
        for r in regencies
    }
    districts = {}
    for code, parent in Region.objects.filter(level="district").values_list("code", "parent_id"):
        districts.setdefault(parent, code)
    categories = list(Category.objects.all())
    today = timezone.localdate()
    statuses = list(Report.Status.values)
    rows = []
    for i in range(REPORTS):
        regency = "35.28" if i < IN_ONE_OFFICE else rng.choice(regencies).code
        received = today - datetime.timedelta(days=rng.randint(0, 60))
        rows.append(
            Report(
                tracking_code=f"B{i:05d}-BENCH",
                channel="public",
                status=rng.choice(statuses),
                received_at=timezone.now(),
                received_on=received,
                due_on=received + datetime.timedelta(days=3),
                office=offices[regency],
                routing_reason="bench",
                reporter_kind="voter",
                reporter_name="Pelapor",
                reporter_nik="3528011503850001",
                reporter_address="-",
                reporter_phone="+62812",
                asn_name=f"ASN {i % 3000}",
                asn_nip=f"1985031520100110{i % 97:02d}",
                asn_agency="Dinas",
                region_id=districts[regency],
                occurred_on=received - datetime.timedelta(days=2),
                known_on=received - datetime.timedelta(days=1),
                category=rng.choice(categories),
                description="bench",
            )
        )
    Report.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE neutrality_report")

    User = get_user_model()
    officer = User.objects.create_user("bench.officer")
    RoleAssignment.objects.create(
        user=officer, role=Role.BAWASLU_OFFICER, region_id="35.28", agency=offices["35.28"]
    )
    ri = User.objects.create_user("bench.ri")
    RoleAssignment.objects.create(user=ri, role=Role.BAWASLU_OFFICER, region=None)

    def queue():
        # A fresh user each time, as a request loads it: no cached scope.
        user = User.objects.get(pk=officer.pk)
        reports = list(selectors.queue(user)[:200])
        selectors.repeat_counts(user, reports)
        return reports

    office_id = offices["35.28"].pk

    def bare_queue():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT * FROM neutrality_report WHERE office_id = %s ORDER BY due_on LIMIT 200",
                [office_id],
            )
            return cursor.fetchall()

    def stats():
        return selectors.statistics(User.objects.get(pk=ri.pk))

    def bare_count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM neutrality_report")
            return cursor.fetchone()

    assert len(queue()) == 200
    results = {
        "queue": median_time(queue),
        "bare_queue": median_time(bare_queue),
        "stats": median_time(stats),
        "bare_count": median_time(bare_count),
    }

    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (120, 20, 20)).save(buffer, "JPEG")
    photo = buffer.getvalue()
    place = Region.objects.get(code="35.28.01")
    category = categories[0]

    def intake(i):
        return Intake(
            reporter_kind="voter",
            reporter_name="Pelapor",
            reporter_nik="3528011503850001",
            reporter_address="-",
            reporter_phone="+62812",
            asn_name=f"ASN intake {i}",
            asn_nip="198503152010011002",
            asn_agency="Dinas",
            region=place,
            occurred_on=today - datetime.timedelta(days=2),
            known_on=today - datetime.timedelta(days=1),
            category=category,
            description="bench",
        )

    start = time.perf_counter()
    for i in range(INTAKES):
        report_submit(
            intake=intake(i),
            channel="public",
            files=[SimpleUploadedFile("foto.jpg", photo)],
        )
    results["intake"] = (time.perf_counter() - start) / INTAKES

    start = time.perf_counter()
    for i in range(INTAKES):
        Report.objects.create(
            **dict(intake(i).__dict__.items()),
            tracking_code=f"I{i:05d}-BENCH",
            channel="public",
            received_at=timezone.now(),
            received_on=today,
            office=offices["35.28"],
            routing_reason="bench",
        )
    results["bare_intake"] = (time.perf_counter() - start) / INTAKES

    ms = {k: v * 1000 for k, v in results.items()}
    print(
        f"neutrality: {REPORTS:,} reports over {len(offices)} offices, "
        f"{IN_ONE_OFFICE} in Bawaslu Pamekasan; median of {RUNS} runs"
    )
    print(
        row(
            "office triage queue, first 200 (scope, order, repeat count)",
            ms["queue"],
            ms["bare_queue"],
            "ms",
        )
    )
    print(row("baseline: bare SELECT of the office's rows by due_on", ms["bare_queue"], unit="ms"))
    print(
        row(
            "nationwide statistics, five dimensions (Bawaslu RI)",
            ms["stats"],
            ms["bare_count"],
            "ms",
        )
    )
    print(row("baseline: COUNT(*) over the reports", ms["bare_count"], unit="ms"))
    print(
        row(
            f"intake with a {len(photo) // 1024} KB JPEG, per report",
            ms["intake"],
            ms["bare_intake"],
            "ms",
        )
    )
    print(row("baseline: bare INSERT of the report row", ms["bare_intake"], unit="ms"))


if __name__ == "__main__":
    main()
