"""The console's test suite."""
