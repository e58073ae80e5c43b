import pytest
import requests

from tests.emulator.helpers import (
    MARKETING_UNIT,
    ORG_ID,
    TIMEOUT,
    create,
    emulator_fixtures,
    error_code,
    tooling,
    tooling_query,
)

emulator_process, emulator = emulator_fixtures()


@pytest.fixture
def token(emulator):
    return emulator.token()["access_token"]


@pytest.fixture
def extensions(emulator, token):
    names = ["Alpha", "Bravo", "Charlie", "Delta", "Echo"]
    ids = [
        create(emulator, token, "MarketingAppExtension", MasterLabel=n) for n in names
    ]
    tooling(
        emulator,
        token,
        "PATCH",
        f"sobjects/MarketingAppExtension/{ids[1]}",
        json={"IsActive": True},
    )
    return dict(zip(names, ids, strict=True))


def names_of(response):
    assert response.status_code == 200, response.text
    return [r["DeveloperName"] for r in response.json()["records"]]


def test_a_query_returns_records_with_attributes_and_the_selected_fields(
    emulator, token, extensions
):
    response = tooling_query(
        emulator, token, "SELECT Id, DeveloperName FROM MarketingAppExtension LIMIT 1"
    )

    body = response.json()
    assert body["size"] == 1
    assert body["totalSize"] == 1
    assert body["done"] is True
    assert body["entityTypeName"] == "MarketingAppExtension"
    assert body["records"] == [
        {
            "attributes": {
                "type": "MarketingAppExtension",
                "url": "/services/data/v60.0/tooling/sobjects/MarketingAppExtension/"
                + extensions["Alpha"],
            },
            "Id": extensions["Alpha"],
            "DeveloperName": "Alpha",
        }
    ]


def test_where_compares_text_without_case_and_booleans_exactly(
    emulator, token, extensions
):
    by_name = tooling_query(
        emulator,
        token,
        "select Id, DeveloperName from MarketingAppExtension "
        "where developername = 'charlie'",
    )
    active = tooling_query(
        emulator,
        token,
        "SELECT DeveloperName FROM MarketingAppExtension WHERE IsActive = true",
    )

    assert names_of(by_name) == ["Charlie"]
    assert names_of(active) == ["Bravo"]


def test_in_not_equal_and_and_combine(emulator, token, extensions):
    response = tooling_query(
        emulator,
        token,
        "SELECT DeveloperName FROM MarketingAppExtension "
        "WHERE DeveloperName IN ('Alpha', 'Bravo', 'Echo') AND IsActive != true",
    )

    assert names_of(response) == ["Alpha", "Echo"]


def test_ids_match_in_fifteen_or_eighteen_characters(emulator, token, extensions):
    short_id = extensions["Delta"][:15]
    # SOQL for the emulator, not SQL; the id is the test's own.
    soql = f"SELECT DeveloperName FROM MarketingAppExtension WHERE Id = '{short_id}'"  # noqa: S608

    response = tooling_query(emulator, token, soql)

    assert names_of(response) == ["Delta"]


def test_order_by_and_limit(emulator, token, extensions):
    response = tooling_query(
        emulator,
        token,
        "SELECT DeveloperName FROM MarketingAppExtension "
        "ORDER BY DeveloperName DESC LIMIT 2",
    )

    assert names_of(response) == ["Echo", "Delta"]


def test_count_returns_only_the_total(emulator, token, extensions):
    response = tooling_query(
        emulator, token, "SELECT COUNT() FROM MarketingAppExtension"
    )

    assert response.json() == {"totalSize": 5, "done": True, "records": []}


def test_big_results_come_in_batches_with_next_records_url(emulator, token, extensions):
    emulator.settings(query_batch_size=2)
    first = tooling_query(
        emulator, token, "SELECT DeveloperName FROM MarketingAppExtension"
    ).json()
    pages = [first]
    while not pages[-1]["done"]:
        next_url = emulator.url + pages[-1]["nextRecordsUrl"]
        headers = {"Authorization": f"Bearer {token}"}
        pages.append(requests.get(next_url, headers=headers, timeout=TIMEOUT).json())

    assert first["done"] is False
    assert first["totalSize"] == 5
    assert first["nextRecordsUrl"].startswith("/services/data/v60.0/tooling/query/01g")
    assert first["nextRecordsUrl"].endswith("-2")
    assert [len(p["records"]) for p in pages] == [2, 2, 1]
    assert [r["DeveloperName"] for p in pages for r in p["records"]] == [
        "Alpha",
        "Bravo",
        "Charlie",
        "Delta",
        "Echo",
    ]


def test_an_unknown_query_locator_is_refused(emulator, token):
    response = tooling(emulator, token, "GET", "query/01g000000000000000-2")

    assert error_code(response) == "INVALID_QUERY_LOCATOR"


@pytest.mark.parametrize(
    "soql",
    [
        "",
        "SELECT FROM PardotTenant",
        "SELECT Id PardotTenant",
        "SELECT Id FROM PardotTenant WHERE",
        "SELECT Id FROM PardotTenant WHERE Id = 'unterminated",
        "SELECT Id FROM PardotTenant WHERE Id = 'a' OR Id = 'b'",
        "SELECT Id FROM PardotTenant LIMIT many",
        "SELECT Id, FROM PardotTenant",
    ],
)
def test_malformed_soql_is_malformed_query(emulator, token, soql):
    response = tooling_query(emulator, token, soql)

    assert response.status_code == 400
    assert error_code(response) == "MALFORMED_QUERY"


def test_an_unknown_column_is_invalid_field(emulator, token):
    response = tooling_query(emulator, token, "SELECT Id, TenantKey FROM PardotTenant")

    assert response.status_code == 400
    assert error_code(response) == "INVALID_FIELD"
    assert (
        "No such column 'TenantKey' on entity 'PardotTenant'"
        in (response.json()[0]["message"])
    )


def test_a_quoted_boolean_is_refused(emulator, token):
    response = tooling_query(
        emulator, token, "SELECT Id FROM MarketingAppExtension WHERE IsActive = 'true'"
    )

    assert error_code(response) == "INVALID_QUERY_FILTER_OPERATOR"


def test_an_unknown_object_is_invalid_type(emulator, token):
    response = tooling_query(emulator, token, "SELECT Id FROM Widget")

    assert error_code(response) == "INVALID_TYPE"


def test_the_rest_query_serves_the_organization_and_business_units(emulator, token):
    headers = {"Authorization": f"Bearer {token}"}
    url = f"{emulator.url}/services/data/v60.0/query/"

    org = requests.get(
        url,
        params={"q": "SELECT Id, Name, IsSandbox, OrganizationType FROM Organization"},
        headers=headers,
        timeout=TIMEOUT,
    ).json()
    units = requests.get(
        url,
        params={"q": "SELECT Id, PardotTenantName FROM PardotTenant ORDER BY Id"},
        headers=headers,
        timeout=TIMEOUT,
    ).json()

    record = org["records"][0]
    assert record["Id"] == ORG_ID
    assert record["Name"] == "Demo Org"
    assert record["IsSandbox"] is False
    assert record["OrganizationType"] == "Enterprise Edition"
    assert record["attributes"]["url"].startswith("/services/data/v60.0/sobjects/")
    assert [u["Id"] for u in units["records"]][0] == MARKETING_UNIT


def test_the_rest_query_does_not_serve_tooling_objects(emulator, token):
    response = requests.get(
        f"{emulator.url}/services/data/v60.0/query/",
        params={"q": "SELECT Id FROM MarketingAppExtension"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=TIMEOUT,
    )

    assert error_code(response) == "INVALID_TYPE"


def test_queries_see_only_the_tokens_org(emulator, token, extensions):
    other = emulator.add_org(
        "Other Org", users=[{"username": "boss@other.example", "name": "Bo Boss"}]
    )
    other_token = emulator.token(user="boss@other.example")["access_token"]

    response = tooling_query(
        emulator, other_token, "SELECT Id FROM MarketingAppExtension"
    )
    units = tooling_query(emulator, other_token, "SELECT Id FROM PardotTenant")

    assert other["org_id"] != ORG_ID
    assert response.json()["totalSize"] == 0
    assert units.json()["totalSize"] == 0
