"""Reads that need some thought: the plan of a run, the health of a setup,
the extensions matrix."""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils import timezone

from salesforce.models import (
    ActivityType,
    Assignment,
    BusinessUnit,
    Extension,
    Org,
)
from setup_wizard.models import Check, RecordProgress, SetupRun
from setup_wizard.wording import change_sentence

Action = RecordProgress.Action
Kind = RecordProgress.Kind


def open_wizard_run(org: Org) -> SetupRun | None:
    runs = SetupRun.objects.filter(
        org=org, kind=SetupRun.Kind.WIZARD, status__in=SetupRun.OPEN_STATUSES
    )
    return runs.first()


def known_extension(org: Org, api_name: str) -> Extension | None:
    """The org's extension named ``api_name`` (in any case) that the console
    already knows from Salesforce, that is one with a Salesforce id."""
    extensions = Extension.objects.filter(org=org, api_name__iexact=api_name)
    return extensions.exclude(sf_id="").first()


def latest_check(org: Org, kind: str, run: SetupRun | None = None) -> Check | None:
    checks = Check.objects.filter(org=org, kind=kind)
    if run is not None:
        checks = checks.filter(run=run)
    return checks.first()


def preflight_passed(run: SetupRun) -> bool:
    check = latest_check(run.org, Check.Kind.PREFLIGHT, run)
    return bool(check and check.state == Check.State.DONE and check.result.get("ok"))


def extension_state(run: SetupRun) -> tuple[str, Check | None]:
    """Where the run's extension choice stands, and the look-up behind it.

    One of: empty, adopting, known (the console set it up before), checking,
    free (not in Salesforce), taken (in Salesforce: adopt it or rename), and
    unchecked (the look-up failed or never ran; creating still refuses a
    duplicate).
    """
    name = run.extension_api_name
    if not name:
        return "empty", None
    if run.is_adopting:
        return "adopting", None
    if known_extension(run.org, name) is not None:
        return "known", None
    check = Check.objects.filter(
        run=run, kind=Check.Kind.EXTENSION_LOOKUP, subject__iexact=name
    ).first()
    if check is None or check.state == Check.State.FAILED or check.is_stale:
        return "unchecked", check
    if not check.is_final:
        return "checking", check
    return ("taken" if check.result.get("found") else "free"), check


# The plan


@dataclass(frozen=True)
class PlannedRecord:
    kind: str
    action: str
    api_name: str
    label: str
    description: str = ""
    #: Known already so (e.g. already active), shown on the review.
    already: bool = False

    @property
    def sentence(self) -> str:
        return change_sentence(self.kind, self.action, self.label, self.api_name)


def _mirrored_extension(run: SetupRun) -> Extension | None:
    if run.adopt_sf_id:
        extensions = Extension.objects.filter(org=run.org).exclude(sf_id="")
        found = extensions.filter(sf_id=run.adopt_sf_id).first()
        if found:
            return found
    return known_extension(run.org, run.extension_api_name)


def run_plan(run: SetupRun, activate: bool | None = None) -> list[PlannedRecord]:
    """Exactly what starting ``run`` will create or change, in order.

    ``activate`` overrides the run's choice, to show both options on review.
    """
    activate = run.activate if activate is None else activate
    mirrored = _mirrored_extension(run)
    plan = [_extension_step(run, mirrored)]
    types = _mirrored_types(mirrored)
    for entry in run.activity_types:
        known = bool(entry.get("sf_id")) or entry["api_name"].lower() in types
        plan.append(
            PlannedRecord(
                Kind.ACTIVITY_TYPE,
                Action.EXISTS if known else Action.CREATE,
                entry["api_name"],
                entry.get("label") or entry["api_name"],
                entry.get("description", ""),
            )
        )
    plan += _assignment_steps(run, mirrored)
    if activate:
        plan += _activation_steps(run, mirrored, types)
    return plan


def _extension_step(run: SetupRun, mirrored: Extension | None) -> PlannedRecord:
    if mirrored:
        action = Action.EXISTS
    elif run.adopt_sf_id:
        action = Action.ADOPT
    else:
        action = Action.CREATE
    return PlannedRecord(
        Kind.EXTENSION,
        action,
        run.extension_api_name,
        run.extension_label or run.extension_api_name,
        run.extension_description,
    )


def _mirrored_types(mirrored: Extension | None) -> dict[str, ActivityType]:
    if mirrored is None:
        return {}
    types = mirrored.activity_types.exclude(sf_id="")
    return {t.api_name.lower(): t for t in types}


def _assignment_steps(run: SetupRun, mirrored: Extension | None) -> list[PlannedRecord]:
    names = dict(BusinessUnit.objects.filter(org=run.org).values_list("sf_id", "name"))
    assigned = set(run.existing_assignments)
    if mirrored:
        assigned |= set(
            mirrored.assignments.exclude(sf_id="").values_list(
                "business_unit__sf_id", flat=True
            )
        )
    return [
        PlannedRecord(
            Kind.ASSIGNMENT,
            Action.EXISTS if unit_id in assigned else Action.ASSIGN,
            unit_id,
            names.get(unit_id, unit_id),
        )
        for unit_id in run.business_unit_ids
    ]


def _activation_steps(
    run: SetupRun, mirrored: Extension | None, types: dict[str, ActivityType]
) -> list[PlannedRecord]:
    steps = []
    for entry in run.activity_types:
        known = types.get(entry["api_name"].lower())
        active = entry.get("is_active") or bool(known and known.is_active)
        steps.append(
            PlannedRecord(
                Kind.ACTIVITY_TYPE,
                Action.ACTIVATE,
                entry["api_name"],
                entry.get("label") or entry["api_name"],
                already=active,
            )
        )
    active = run.adopt_is_active or bool(mirrored and mirrored.is_active)
    steps.append(
        PlannedRecord(
            Kind.EXTENSION,
            Action.ACTIVATE,
            run.extension_api_name,
            run.extension_label or run.extension_api_name,
            already=active,
        )
    )
    return steps


# Progress


@dataclass(frozen=True)
class RunProgress:
    total: int
    done: int


def run_is_stalled(
    run: SetupRun,
    after: timedelta,
    records: Iterable[RecordProgress] | None = None,
) -> bool:
    """A running run where nothing moved for longer than any row takes.

    ``records`` are the run's rows when the caller has read them already.
    """
    if run.status != SetupRun.Status.RUNNING:
        return False
    if records is None:
        rows = run.records.values_list("started_at", "finished_at")
    else:
        rows = ((r.started_at, r.finished_at) for r in records)
    moments = [run.started_at]
    for started, finished in rows:
        moments += [started, finished]
    return _still_since(moments, after)


def stalled_changes(org: Org, after: timedelta) -> set[int]:
    """Ids of the org's running changes stalled as ``run_is_stalled`` says."""
    runs = SetupRun.objects.filter(
        org=org, kind=SetupRun.Kind.CHANGE, status=SetupRun.Status.RUNNING
    )
    moments = {pk: [started] for pk, started in runs.values_list("pk", "started_at")}
    records = RecordProgress.objects.filter(run__in=list(moments))
    rows = records.values_list("run_id", "started_at", "finished_at")
    for run_id, started, finished in rows:
        moments[run_id] += [started, finished]
    return {pk for pk, seen in moments.items() if _still_since(seen, after)}


def _still_since(moments: list, after: timedelta) -> bool:
    latest = max((m for m in moments if m), default=None)
    return latest is not None and latest < timezone.now() - after


def run_progress(records: Sequence[RecordProgress]) -> RunProgress:
    """How far a run's rows, as read by the caller, have come."""
    done = sum(1 for r in records if r.state == RecordProgress.State.DONE)
    return RunProgress(total=len(records), done=done)


def pending_changes(org: Org) -> QuerySet[RecordProgress]:
    """Changes made from the Extensions page that are not finished yet."""
    return RecordProgress.objects.filter(
        run__org=org,
        run__kind=SetupRun.Kind.CHANGE,
        state__in=[RecordProgress.State.WAITING, RecordProgress.State.WORKING],
        run__status=SetupRun.Status.RUNNING,
    ).select_related("run")


def recent_changes(org: Org, limit: int = 8) -> QuerySet[RecordProgress]:
    return (
        RecordProgress.objects.filter(run__org=org, run__kind=SetupRun.Kind.CHANGE)
        .select_related("run")
        .order_by("-id")[:limit]
    )


# The extensions matrix


@dataclass
class MatrixRow:
    """Each change marker is "" (none), "working" or "stalled"."""

    extension: Extension
    extension_pending: str
    #: (activity type, its change marker)
    types: list[tuple[ActivityType, str]]
    #: (business unit, its assignment or None, its change marker)
    cells: list[tuple[BusinessUnit, Assignment | None, str]]
    unassigned: int = 0


def extension_matrix(
    org: Org,
    stalled: Collection[int] = (),
    pending: Iterable[RecordProgress] | None = None,
) -> tuple[list[BusinessUnit], list[MatrixRow]]:
    """The org's extensions with their types and, per business unit, the
    assignment if there is one; with the changes still on their way, those
    of the ``stalled`` runs marked so.

    ``pending`` are the org's ``pending_changes`` when the caller has read
    them already.
    """
    if pending is None:
        pending = pending_changes(org)
    units = list(BusinessUnit.objects.filter(org=org))
    extensions = Extension.objects.filter(org=org).prefetch_related(
        Prefetch("activity_types", queryset=ActivityType.objects.order_by("label")),
        Prefetch(
            "assignments", queryset=Assignment.objects.select_related("business_unit")
        ),
    )
    markers = {
        (p.run.extension_id, p.kind, p.api_name.lower()): (
            "stalled" if p.run_id in stalled else "working"
        )
        for p in pending
    }
    rows = []
    for extension in extensions:
        by_unit = {a.business_unit_id: a for a in extension.assignments.all()}

        def waiting(kind: str, name: str, pk: int = extension.pk) -> str:
            return markers.get((pk, kind, name.lower()), "")

        cells = [
            (unit, by_unit.get(unit.pk), waiting(Kind.ASSIGNMENT, unit.sf_id))
            for unit in units
        ]
        rows.append(
            MatrixRow(
                extension=extension,
                extension_pending=waiting(Kind.EXTENSION, extension.api_name),
                types=[
                    (t, waiting(Kind.ACTIVITY_TYPE, t.api_name))
                    for t in extension.activity_types.all()
                ],
                cells=cells,
                unassigned=sum(1 for _, a, _ in cells if a is None),
            )
        )
    return units, rows


# Health


@dataclass(frozen=True)
class SetupHealth:
    ok: bool
    sentence: str
    link: str
    link_text: str = ""


#: ``setup_health`` reads the open wizard run itself unless given one.
_UNREAD: Any = object()


def setup_health(org: Org, run: SetupRun | None = _UNREAD) -> SetupHealth:
    """Whether ``org`` can accept activity right now, and if not why, in one line.

    ``run`` is the org's open wizard run (or None) when the caller has read it.
    """
    connection = org.execution_connection
    if connection is None or not connection.is_usable:
        return SetupHealth(
            False,
            "No Salesforce connection can send activity for %s. Reconnect the org "
            "under Settings." % org.name,
            reverse("salesforce:settings"),
            "Settings",
        )
    if run is _UNREAD:
        run = open_wizard_run(org)
    if run and run.status == SetupRun.Status.FAILED:
        return SetupHealth(
            False,
            "The setup stopped before it finished: %s"
            % (_first_failure(run) or "see its progress."),
            reverse("setup_wizard:progress", args=[run.pk]),
            "See what stopped",
        )
    return _mirror_health(org)


def _first_failure(run: SetupRun) -> str:
    failed = run.records.filter(state=RecordProgress.State.FAILED).first()
    return failed.reason if failed else ""


def _mirror_health(org: Org) -> SetupHealth:
    extensions_url = reverse("setup_wizard:extensions")
    active_types = ActivityType.objects.filter(extension=OuterRef("pk"), is_active=True)
    extensions = list(
        Extension.objects.filter(org=org)
        .exclude(sf_id="")
        .annotate(
            has_active_type=Exists(active_types),
            has_assignment=Exists(Assignment.objects.filter(extension=OuterRef("pk"))),
        )
    )
    if not extensions:
        return SetupHealth(
            False,
            "Nothing is set up yet: run the setup wizard to create an extension "
            "and its activity types.",
            reverse("setup_wizard:overview"),
            "Setup",
        )
    ready = [e for e in extensions if _accepts_activity(e)]
    if not ready:
        return SetupHealth(
            False, _why_not_ready(extensions[0]), extensions_url, "Extensions"
        )
    drift = latest_check(org, Check.Kind.DRIFT)
    if drift and drift.state == Check.State.DONE and not drift.resolved_at:
        count = len(drift.result.get("differences", []))
        if count:
            return SetupHealth(
                False,
                "Salesforce differs from the console in %s place%s since the last "
                "check; activity may be refused." % (count, "" if count == 1 else "s"),
                reverse("setup_wizard:verify"),
                "Review the differences",
            )
    return SetupHealth(True, _ready_sentence(ready[0]), extensions_url, "Extensions")


def _accepts_activity(extension: Extension) -> bool:
    """For an extension annotated by ``_mirror_health``."""
    return (
        extension.is_active and extension.has_active_type and extension.has_assignment
    )


def _why_not_ready(extension: Extension) -> str:
    name = extension.label
    if not extension.is_active:
        return (
            "The extension %s is inactive, so Account Engagement refuses its "
            "activity. Activate it on the Extensions page." % name
        )
    if not extension.has_active_type:
        return (
            "The extension %s has no active activity type. Add or activate one on "
            "the Extensions page." % name
        )
    return (
        "The extension %s is not assigned to a business unit. Assign it on the "
        "Extensions page." % name
    )


def _ready_sentence(extension: Extension) -> str:
    types = [t.label for t in extension.activity_types.filter(is_active=True)]
    assignments = extension.assignments.select_related("business_unit")
    units = [a.business_unit.name for a in assignments]
    return "Ready: %s accepts %s for %s." % (
        extension.label,
        _join(types),
        _join(units),
    )


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return "%s and %s" % (", ".join(names[:-1]), names[-1])
