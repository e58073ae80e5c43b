"""How a planned or running change to one Salesforce record is described,
and what the pages say when its work never ran."""

KIND_NOUNS = {
    "extension": "extension",
    "activity_type": "activity type",
}
ASSIGNMENT_SENTENCES = {
    "assign": "Assign the extension to %s",
    "exists": "Keep the assignment to %s",
    "unassign": "Remove the assignment to %s",
}
RECORD_SENTENCES = {
    "create": "Create the %s %s",
    "adopt": "Adopt the existing %s %s",
    "exists": "Use the %s %s, already set up",
    "activate": "Activate the %s %s",
    "deactivate": "Deactivate the %s %s",
}


def change_sentence(kind: str, action: str, label: str, api_name: str) -> str:
    if kind == "assignment":
        return ASSIGNMENT_SENTENCES[action] % label
    shown = "%s (%s)" % (label, api_name) if label and label != api_name else api_name
    return RECORD_SENTENCES[action] % (KIND_NOUNS[kind], shown)


QUEUE_DOWN = "The task queue is not answering; try again in a minute."
CHECK_STALLED = (
    "This check has not finished after several minutes, so the task queue or "
    "its workers may not be answering. Try again in a minute."
)
CHANGE_STALLED = (
    "Nothing has moved for several minutes, longer than any Salesforce call "
    "takes, so the task queue or its workers may not be answering."
)
