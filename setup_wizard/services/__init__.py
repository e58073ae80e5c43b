"""Workflows of the setup wizard, the Extensions page and Verify.

Views call these to record choices and queue work; tasks call them to claim
a row, do one piece of work in Salesforce and record the outcome. Nothing a
view calls talks to Salesforce.
"""

from setup_wizard.services.changes import (
    activity_type_add,
    activity_type_set_active,
    assignment_add,
    assignment_remove,
    extension_set_active,
)
from setup_wizard.services.checks import (
    check_claim,
    check_fail,
    check_perform,
    check_start,
    drift_resolve,
    verify_all_orgs,
)
from setup_wizard.services.records import (
    failure_sentence,
    is_worth_retrying,
    record_apply,
    record_claim,
    record_fail,
    record_release,
)
from setup_wizard.services.runs import (
    DEFAULT_TYPES,
    STALLED_AFTER,
    run_abandon,
    run_adopt,
    run_advance,
    run_edit,
    run_forget_adoption,
    run_open,
    run_reach_step,
    run_retry,
    run_save_business_units,
    run_save_extension,
    run_save_types,
    run_start,
)

__all__ = [
    "DEFAULT_TYPES",
    "STALLED_AFTER",
    "activity_type_add",
    "activity_type_set_active",
    "assignment_add",
    "assignment_remove",
    "check_claim",
    "check_fail",
    "check_perform",
    "check_start",
    "drift_resolve",
    "extension_set_active",
    "failure_sentence",
    "is_worth_retrying",
    "record_apply",
    "record_claim",
    "record_fail",
    "record_release",
    "run_abandon",
    "run_adopt",
    "run_advance",
    "run_edit",
    "run_forget_adoption",
    "run_open",
    "run_reach_step",
    "run_retry",
    "run_save_business_units",
    "run_save_extension",
    "run_save_types",
    "run_start",
    "verify_all_orgs",
]
