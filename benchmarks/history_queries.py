"""How fast the submission history answers on a large log, and how much memory
a full CSV export takes.

Fills the log with ``--rows`` submissions (PostgreSQL when ``DATABASE_URL``
points at it: rows are generated inside the database; SQLite otherwise, with
bulk inserts), then times the history's pages through Django's test client
with a signed-in support member: the first page, a page deep in the log, a
filter, email searches, a value search, a submission's detail and the
dashboard. Each is measured ``--repeat`` times after one warm-up; the median
and 95th percentile are printed. Last, a full CSV export is streamed while
tracemalloc watches the peak memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_submit \\
        .venv/bin/python benchmarks/history_queries.py --rows 1000000

The data goes to ``var/bench`` (or ``CONSOLE_VAR_DIR``), never to the
console's own database. ``--keep`` reuses rows left by an earlier run.
"""

import argparse
import os
import statistics
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CONSOLE_VAR_DIR", str(ROOT / "var" / "bench"))

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from activity.models import Submission  # noqa: E402
from salesforce.models import (  # noqa: E402
    ActivityType,
    Assignment,
    BusinessUnit,
    Extension,
    Membership,
    Org,
)

ORG_ID = "00DBENCH0000001AAA"
DAYS = 60
EMAILS = 200_000
END = datetime(2026, 6, 1, tzinfo=UTC)
# Of every 100 submissions: 90 succeeded, 5 failed and one each of the rest.
STATUSES = (
    ["succeeded"] * 90
    + ["failed"] * 5
    + [
        "deferred",
        "unknown",
        "duplicate",
        "queued",
        "sending",
    ]
)
SOURCES = ["api"] * 8 + ["test_form", "import"]


def _setup_org() -> dict:
    from django.contrib.auth import get_user_model

    org, _ = Org.objects.get_or_create(
        sf_org_id=ORG_ID,
        defaults={"name": "Benchmark Org", "login_url": "https://login.example"},
    )
    units = [
        BusinessUnit.objects.get_or_create(
            org=org, sf_id="0UvBENCH%07dAAA" % n, defaults={"name": "Unit %d" % n}
        )[0]
        for n in range(3)
    ]
    combos = []
    for n in range(2):
        extension, _ = Extension.objects.get_or_create(
            org=org, api_name="Bench_Ext_%d" % n, defaults={"label": "Ext %d" % n}
        )
        for unit in units:
            Assignment.objects.get_or_create(
                org=org, extension=extension, business_unit=unit
            )
        for m in range(2):
            kind, _ = ActivityType.objects.get_or_create(
                org=org,
                extension=extension,
                api_name="Type_%d" % m,
                defaults={"label": "Type %d" % m},
            )
            combos.append((extension, kind))
    user, _ = get_user_model().objects.get_or_create(
        username="bench-support", defaults={"email": "bench-support@example.com"}
    )
    Membership.objects.get_or_create(user=user, org=org, defaults={"role": "support"})
    return {"org": org, "units": units, "combos": combos, "user": user}


def _fill_postgres(setup: dict, rows: int, chunk: int = 100_000) -> None:
    org = setup["org"]
    units = setup["units"]
    combos = setup["combos"]
    unit_ids = "ARRAY[%s]" % ",".join(str(u.pk) for u in units)
    unit_sf = "ARRAY[%s]" % ",".join("'%s'" % u.sf_id for u in units)
    ext_ids = "ARRAY[%s]" % ",".join(str(e.pk) for e, _ in combos)
    ext_names = "ARRAY[%s]" % ",".join("'%s'" % e.api_name for e, _ in combos)
    type_ids = "ARRAY[%s]" % ",".join(str(t.pk) for _, t in combos)
    type_names = "ARRAY[%s]" % ",".join("'%s'" % t.api_name for _, t in combos)
    statuses = "ARRAY[%s]" % ",".join("'%s'" % s for s in STATUSES)
    sources = "ARRAY[%s]" % ",".join("'%s'" % s for s in SOURCES)
    span = DAYS * 24 * 3600
    # Every value below is a number or a constant of this script.
    sql = f"""
        INSERT INTO activity_submission (
            org_id, business_unit_id, extension_id, activity_type_id,
            business_unit_sf_id, extension_name, type_name, email, value,
            activity_date, fingerprint, source, sent_by_label, force, status,
            reason, error_class, error_code, attempt_count, retries_used,
            look_ups, task_id, created_at, updated_at, finished_at
        )
        SELECT
            {org.pk},
            ({unit_ids})[1 + n %% {len(units)}],
            ({ext_ids})[1 + n %% {len(combos)}],
            ({type_ids})[1 + n %% {len(combos)}],
            ({unit_sf})[1 + n %% {len(units)}],
            ({ext_names})[1 + n %% {len(combos)}],
            ({type_names})[1 + n %% {len(combos)}],
            'person' || (n %% {EMAILS}) || '@example' || (n %% 50) || '.com',
            'Webinar ' || (n %% 1000),
            ts,
            md5(n::text) || md5((n + 1)::text),
            ({sources})[1 + n %% {len(SOURCES)}],
            'integration',
            false,
            ({statuses})[1 + (n * 7) %% {len(STATUSES)}],
            CASE WHEN ({statuses})[1 + (n * 7) %% {len(STATUSES)}] = 'failed'
                 THEN 'The activity type is not active. Activate it in Setup.'
                 ELSE '' END,
            '', '', 1, 0, 0, '',
            ts, ts, ts
        FROM (
            SELECT n, TIMESTAMPTZ '{END.isoformat()}'
                      - make_interval(secs => {span} * (1 - n::float / %s)) AS ts
            FROM generate_series(%s, %s) AS n
        ) AS generated
    """  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, rows, chunk):
            stop = min(start + chunk, rows) - 1
            cursor.execute(sql, [rows, start, stop])
            print("  %s rows" % (stop + 1), flush=True)
        cursor.execute("ANALYZE activity_submission")


def _fill_sqlite(setup: dict, rows: int, chunk: int = 20_000) -> None:
    units, combos = setup["units"], setup["combos"]
    span = timedelta(days=DAYS)
    for start in range(0, rows, chunk):
        batch = []
        for n in range(start, min(start + chunk, rows)):
            unit = units[n % len(units)]
            extension, kind = combos[n % len(combos)]
            moment = END - span * (1 - n / rows)
            status = STATUSES[(n * 7) % len(STATUSES)]
            batch.append(
                Submission(
                    org=setup["org"],
                    business_unit=unit,
                    extension=extension,
                    activity_type=kind,
                    business_unit_sf_id=unit.sf_id,
                    extension_name=extension.api_name,
                    type_name=kind.api_name,
                    email="person%d@example%d.com" % (n % EMAILS, n % 50),
                    value="Webinar %d" % (n % 1000),
                    activity_date=moment,
                    fingerprint="%064x" % n,
                    source=SOURCES[n % len(SOURCES)],
                    sent_by_label="integration",
                    status=status,
                    reason="The activity type is not active."
                    if status == "failed"
                    else "",
                    attempt_count=1,
                    created_at=moment,
                    updated_at=moment,
                    finished_at=moment,
                )
            )
        Submission.objects.bulk_create(batch)
        print("  %s rows" % min(start + chunk, rows), flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _timed(client: Client, path: str, params: dict, repeat: int) -> tuple:
    response = client.get(path, params)
    assert response.status_code == 200, (path, response.status_code)
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, params)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def _export(client: Client) -> tuple[float, int, int]:
    """Stream the whole export; seconds taken, bytes and rows."""
    started = time.perf_counter()
    response = client.get("/submissions/export.csv")
    size = lines = 0
    for part in response.streaming_content:
        size += len(part)
        lines += part.count(b"\n")
    return time.perf_counter() - started, size, lines - 1


def _export_peak(client: Client) -> float:
    """The peak memory (MB) Python allocated while streaming the export."""
    tracemalloc.start()
    _export(client)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="reuse existing rows")
    parser.add_argument("--no-export", action="store_true")
    options = parser.parse_args()
    # Query logging would grow with every query and skew the memory figure.
    settings.DEBUG = False

    vendor = connection.vendor
    print("Database: %s" % vendor)
    call_command("migrate", verbosity=0)
    setup = _setup_org()
    org = setup["org"]
    existing = Submission.objects.filter(org=org).count()
    if not (options.keep and existing):
        Submission.objects.filter(org=org).delete()
        print("Filling %s rows" % options.rows)
        started = time.perf_counter()
        fill = _fill_postgres if vendor == "postgresql" else _fill_sqlite
        fill(setup, options.rows)
        print("Filled in %.0f s" % (time.perf_counter() - started))
    rows = Submission.objects.filter(org=org).count()
    print("Rows in the log: %s" % rows)

    client = Client()
    client.force_login(setup["user"])
    from activity.selectors import cursor_for

    deep_row = (
        Submission.objects.filter(org=org)
        .order_by("-created_at", "-id")
        .only("created_at")[int(rows * 0.9)]
    )
    latest = Submission.objects.filter(org=org).order_by("-created_at").first()
    cases = [
        ("history, first page", "/submissions/", {}),
        ("history, 90% deep", "/submissions/", {"before": cursor_for(deep_row)}),
        (
            "filter: failed in one unit",
            "/submissions/",
            {"status": "failed", "business_unit": setup["units"][1].pk},
        ),
        (
            "filter: one type, last 7 days",
            "/submissions/",
            {"activity_type": setup["combos"][3][1].pk, "created_from": "2026-05-25"},
        ),
        ("email search, exact", "/submissions/", {"email": "person4242@example42.com"}),
        ("email search, prefix", "/submissions/", {"email": "person4242"}),
        ("value search, prefix", "/submissions/", {"value": "Webinar 99"}),
        ("everything for an email", "/submissions/email/", {"email": latest.email}),
        ("submission detail", "/submissions/%s/" % latest.pk, {}),
        ("dashboard (14-day chart)", "/", {}),
    ]
    print("\n%-32s %10s %10s" % ("Page", "median ms", "p95 ms"))
    for label, path, params in cases:
        median, p95 = _timed(client, path, params, options.repeat)
        print("%-32s %10.1f %10.1f" % (label, median, p95), flush=True)

    if not options.no_export:
        seconds, size, lines = _export(client)
        print(
            "\nCSV export of %s rows: %.1f MB in %.0f s"
            % (lines, size / 1024 / 1024, seconds),
            flush=True,
        )
        # tracemalloc slows Python down several times: timed apart.
        print("Peak traced memory while exporting: %.1f MB" % _export_peak(client))


if __name__ == "__main__":
    main()
