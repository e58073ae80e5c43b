"""A stand-in for Salesforce and Account Engagement, served over plain HTTP.

Run it with ``python -m emulator``. It answers the OAuth endpoints, the REST
and Tooling API and the Account Engagement v5 external-activities API on one
port, plus a control API under ``/__emulator__/`` for tests and demos. It uses
only the standard library and never imports the rest of the project.
"""
