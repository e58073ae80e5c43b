"""A separate process that calls Salesforce with one stored connection.

Run as ``python -m tests.salesforce.refresh_caller <connection id>`` with the
test database named in ``CONSOLE_TEST_DB_NAME``. It prints ``ready``, waits
for a line on stdin, lists the business units and prints how many there are,
so a test can release several processes at the same moment.
"""

import os
import sys

import django


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    from salesforce import tooling
    from salesforce.client import SalesforceClient
    from salesforce.models import Connection

    connection = Connection.objects.select_related("org").get(pk=int(sys.argv[1]))
    with SalesforceClient(connection) as client:
        print("ready", flush=True)
        sys.stdin.readline()
        print(len(tooling.list_business_units(client)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
