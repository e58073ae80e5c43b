"""How fast real workers get submissions to Account Engagement, and the most
requests that were ever in flight for one business unit.

Starts the emulator with added latency, connects its demo org through the
OAuth flow, sets up an extension and an activity type assigned to one or two
business units, starts Celery worker processes, logs ``--submissions``
submissions through ``submission_create`` and waits until every one has
settled. Prints the throughput, Account Engagement's ceiling at that latency
(five requests in flight per business unit), and the emulator's own count of
the highest concurrency it saw per business unit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_throughput \\
        .venv/bin/python benchmarks/throughput.py --submissions 300 \\
        --latency-ms 200 --workers 2 --concurrency 4

The broker is ``CELERY_BROKER_URL`` (the embedded filesystem broker by
default). Data goes to ``var/bench-throughput`` unless ``CONSOLE_VAR_DIR``
says otherwise.
"""

import argparse
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("CONSOLE_VAR_DIR", str(ROOT / "var" / "bench-throughput"))
os.environ.pop("SALESFORCE_CLIENT_ID", None)
os.environ.setdefault("LOG_LEVEL", "WARNING")

from tests.support.emulator import Emulator  # noqa: E402
from tests.support.worker import worker_command  # noqa: E402

SETTLED = ("succeeded", "failed", "unknown", "deferred", "duplicate")
UNITS = [("0Uv000000000001AAA", "Demo Marketing"), ("0Uv000000000002AAA", "Demo Sales")]


def _start_workers(count: int, concurrency: int, log_dir: Path) -> list:
    workers = []
    for number in range(count):
        log_path = log_dir / ("bench-worker-%d.log" % number)
        command = worker_command(
            "bench-%d@%%h" % number, concurrency=concurrency, loglevel="WARNING"
        )
        log = log_path.open("w")
        process = subprocess.Popen(
            command, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=log
        )
        workers.append((process, log_path))
    # With --loglevel WARNING the banner still says when the worker is up.
    time.sleep(3)
    for process, log_path in workers:
        if process.poll() is not None:
            raise SystemExit("A worker exited: see %s" % log_path)
    return workers


def _stop(workers: list) -> None:
    for process, _ in workers:
        process.terminate()
    for process, _ in workers:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _connect_demo_org(emulator_url: str, units: int):
    from activity.models import Submission
    from salesforce import tooling
    from salesforce.client import SalesforceClient
    from salesforce.models import (
        ActivityType,
        Assignment,
        BusinessUnit,
        Connection,
        Extension,
        Org,
    )
    from tests.support.salesforce import oauth_tokens

    tokens = oauth_tokens(emulator_url)
    org_id, user_id = tokens["id"].rstrip("/").split("/")[-2:]
    old = Org.objects.filter(sf_org_id=org_id)
    Submission.objects.filter(org__in=old).delete()
    old.delete()
    org = Org.objects.create(
        sf_org_id=org_id,
        name="Demo Org",
        login_url=emulator_url,
        instance_url=tokens["instance_url"],
    )
    connection = Connection.objects.create(
        org=org,
        sf_user_id=user_id,
        sf_username="admin@demo.example",
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
        instance_url=tokens["instance_url"],
        scopes=tokens.get("scope", ""),
    )
    org.execution_connection = connection
    org.save()

    chosen = UNITS[:units]
    with SalesforceClient.for_org(org) as client:
        remote_ext, _ = tooling.find_or_create_extension(
            client, api_name="Bench_Webinars", label="Bench Webinars", active=True
        )
        remote_type, _ = tooling.find_or_create_activity_type(
            client,
            extension_sf_id=remote_ext.sf_id,
            api_name="Registered",
            label="Registered",
            active=True,
        )
        for sf_id, _ in chosen:
            tooling.assign_extension(
                client, extension_sf_id=remote_ext.sf_id, business_unit_sf_id=sf_id
            )
    extension = Extension.objects.create(
        org=org,
        sf_id=remote_ext.sf_id,
        api_name="Bench_Webinars",
        label="Bench",
        is_active=True,
    )
    kind = ActivityType.objects.create(
        org=org,
        extension=extension,
        sf_id=remote_type.sf_id,
        api_name="Registered",
        label="Registered",
        is_active=True,
    )
    business_units = []
    for sf_id, name in chosen:
        unit = BusinessUnit.objects.create(
            org=org, sf_id=sf_id, name=name, creation_status="Created"
        )
        Assignment.objects.create(org=org, extension=extension, business_unit=unit)
        business_units.append(unit)
    return org, business_units, extension, kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=300)
    parser.add_argument("--latency-ms", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--units", type=int, choices=[1, 2], default=1)
    parser.add_argument("--timeout", type=float, default=900)
    options = parser.parse_args()

    var_dir = Path(os.environ["CONSOLE_VAR_DIR"])
    var_dir.mkdir(parents=True, exist_ok=True)
    emulator = Emulator.start(log_file=var_dir / "emulator.log")
    workers: list = []
    try:
        emulator.settings(latency_ms=options.latency_ms)
        os.environ["EMULATOR_URL"] = emulator.url

        import django

        django.setup()
        from django.core.management import call_command

        from activity.models import Submission
        from activity.services import submission_create
        from config.celery import app

        call_command("migrate", verbosity=0)
        org, units, extension, kind = _connect_demo_org(emulator.url, options.units)
        app.control.purge()
        workers = _start_workers(options.workers, options.concurrency, var_dir)

        started = time.perf_counter()
        for number in range(options.submissions):
            submission_create(
                org=org,
                business_unit=units[number % len(units)],
                extension=extension,
                activity_type=kind,
                email="bench%d@example.com" % number,
                value="Throughput run",
                source="api",
                actor="benchmark",
            )
        logged = time.perf_counter() - started
        pending = Submission.objects.filter(org=org).exclude(status__in=SETTLED)
        while pending.exists():
            if time.perf_counter() - started > options.timeout:
                raise SystemExit("Not settled after %s s" % options.timeout)
            time.sleep(0.25)
        elapsed = time.perf_counter() - started

        statuses = Counter(
            Submission.objects.filter(org=org).values_list("status", flat=True)
        )
        attempts = sum(
            Submission.objects.filter(org=org).values_list("attempt_count", flat=True)
        )
        stats = emulator.stats()
    finally:
        _stop(workers)
        emulator.stop()

    n = options.submissions
    ceiling = 5 * len(units) / (options.latency_ms / 1000)
    print("Submissions:            %s (%s)" % (n, dict(statuses)))
    print(
        "Workers:                %s x %s processes"
        % (options.workers, options.concurrency)
    )
    print("Emulator latency:       %s ms per request" % options.latency_ms)
    print("Logging them took:      %.1f s" % logged)
    print("All settled after:      %.1f s" % elapsed)
    print("Throughput:             %.1f submissions/s" % (n / elapsed))
    print("Ceiling at 5 in flight: %.1f submissions/s" % ceiling)
    print("HTTP attempts:          %s" % attempts)
    print("POSTs accepted:         %s" % stats["pardot_posts_accepted"])
    print("Max in flight per unit: %s" % stats["max_in_flight"])


if __name__ == "__main__":
    main()
