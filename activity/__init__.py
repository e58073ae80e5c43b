"""Submissions of external activities: the log, the sender and the history."""
