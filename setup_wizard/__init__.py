"""The setup wizard: extensions, activity types and business-unit assignments."""
