import pytest

from tests.emulator.helpers import (
    ADMIN_ID,
    MARKETING_UNIT,
    SALES_UNIT,
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
def extension_id(emulator, token):
    return create(
        emulator,
        token,
        "MarketingAppExtension",
        DeveloperName="Webinar_Service",
        MasterLabel="Webinar Service",
    )


def post(emulator, token, obj, **fields):
    return tooling(emulator, token, "POST", f"sobjects/{obj}/", json=fields)


def test_create_answers_201_with_an_id_and_get_returns_the_record(emulator, token):
    response = post(
        emulator,
        token,
        "MarketingAppExtension",
        DeveloperName="Webinar_Service",
        MasterLabel="Webinar Service",
        Description="Registrations from our webinar tool",
    )
    new_id = response.json()["id"]
    record = tooling(emulator, token, "GET", f"sobjects/MarketingAppExtension/{new_id}")

    assert response.status_code == 201
    assert response.json() == {"id": new_id, "success": True, "errors": []}
    assert new_id.startswith("1Me") and len(new_id) == 18
    assert record.status_code == 200
    assert record.json()["attributes"] == {
        "type": "MarketingAppExtension",
        "url": f"/services/data/v60.0/tooling/sobjects/MarketingAppExtension/{new_id}",
    }
    assert record.json()["IsActive"] is False
    assert record.json()["Description"] == "Registrations from our webinar tool"
    assert record.json()["CreatedById"] == ADMIN_ID


def test_patch_answers_204_and_changes_the_record(emulator, token, extension_id):
    path = f"sobjects/MarketingAppExtension/{extension_id}"

    patched = tooling(emulator, token, "PATCH", path, json={"IsActive": True})

    assert patched.status_code == 204
    assert patched.content == b""
    assert tooling(emulator, token, "GET", path).json()["IsActive"] is True


def test_a_missing_developer_name_is_made_from_the_label(emulator, token):
    new_id = create(
        emulator, token, "MarketingAppExtension", MasterLabel="Webinar tool 2"
    )

    record = tooling(emulator, token, "GET", f"sobjects/MarketingAppExtension/{new_id}")

    assert record.json()["DeveloperName"] == "Webinar_tool_2"


@pytest.mark.parametrize("obj", ["MarketingAppExtension", "MarketingAppExtActivity"])
def test_extensions_and_activity_types_cannot_be_deleted(
    emulator, token, extension_id, obj
):
    record_id = extension_id
    if obj == "MarketingAppExtActivity":
        record_id = create(
            emulator,
            token,
            obj,
            MasterLabel="Registered",
            MarketingAppExtensionId=extension_id,
        )

    response = tooling(emulator, token, "DELETE", f"sobjects/{obj}/{record_id}")

    assert response.status_code == 405
    assert error_code(response) == "METHOD_NOT_ALLOWED"
    assert tooling(emulator, token, "GET", f"sobjects/{obj}/{record_id}").ok


def test_assignments_can_be_deleted(emulator, token, extension_id):
    assignment = create(
        emulator,
        token,
        "MarketingAppExtAssignment",
        MarketingAppExtensionId=extension_id,
        ParentId=MARKETING_UNIT,
    )
    path = f"sobjects/MarketingAppExtAssignment/{assignment}"

    assert tooling(emulator, token, "DELETE", path).status_code == 204
    assert tooling(emulator, token, "GET", path).status_code == 404


def test_a_duplicate_api_name_is_refused_whatever_its_case(
    emulator, token, extension_id
):
    response = post(
        emulator,
        token,
        "MarketingAppExtension",
        DeveloperName="webinar_service",
        MasterLabel="Again",
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    assert response.json()[0]["fields"] == ["DeveloperName"]


def test_activity_type_names_are_unique_within_their_extension_only(
    emulator, token, extension_id
):
    other = create(emulator, token, "MarketingAppExtension", MasterLabel="Other tool")
    fields = {"DeveloperName": "Registered", "MasterLabel": "Registered"}
    create(
        emulator,
        token,
        "MarketingAppExtActivity",
        MarketingAppExtensionId=extension_id,
        **fields,
    )
    create(
        emulator,
        token,
        "MarketingAppExtActivity",
        MarketingAppExtensionId=other,
        **fields,
    )

    again = post(
        emulator,
        token,
        "MarketingAppExtActivity",
        MarketingAppExtensionId=extension_id,
        **fields,
    )

    assert error_code(again) == "DUPLICATE_DEVELOPER_NAME"


@pytest.mark.parametrize(
    "name",
    [
        "1Webinar",
        "Webinar Service",
        "Webinar__Service",
        "Webinar_",
        "_Webinar",
        "Wébinar",
    ],
)
def test_api_names_follow_salesforce_rules(emulator, token, name):
    response = post(
        emulator, token, "MarketingAppExtension", DeveloperName=name, MasterLabel="X"
    )

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert response.json()[0]["fields"] == ["DeveloperName"]


def test_api_names_longer_than_forty_characters_are_refused(emulator, token):
    response = post(
        emulator,
        token,
        "MarketingAppExtension",
        DeveloperName="A" * 41,
        MasterLabel="X",
    )

    assert error_code(response) == "STRING_TOO_LONG"


def test_a_missing_label_is_required_field_missing(emulator, token):
    response = post(emulator, token, "MarketingAppExtension", DeveloperName="Tool")

    assert response.status_code == 400
    assert response.json() == [
        {
            "message": "Required fields are missing: [MasterLabel]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["MasterLabel"],
        }
    ]


def test_an_activity_type_needs_its_extension(emulator, token):
    response = post(
        emulator, token, "MarketingAppExtActivity", MasterLabel="Registered"
    )

    assert error_code(response) == "REQUIRED_FIELD_MISSING"
    assert response.json()[0]["fields"] == ["MarketingAppExtensionId"]


def test_an_unknown_field_is_invalid_field(emulator, token):
    response = post(
        emulator, token, "MarketingAppExtension", MasterLabel="X", ApiName="X"
    )

    assert error_code(response) == "INVALID_FIELD"
    assert response.json()[0]["fields"] == ["ApiName"]


def test_an_id_in_the_body_is_invalid_field(emulator, token):
    response = post(emulator, token, "MarketingAppExtension", MasterLabel="X", Id="1Me")

    assert error_code(response) == "INVALID_FIELD"


def test_a_body_that_is_not_json_is_a_parser_error(emulator, token):
    response = tooling(
        emulator,
        token,
        "POST",
        "sobjects/MarketingAppExtension/",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )

    assert response.status_code == 400
    assert error_code(response) == "JSON_PARSER_ERROR"


def test_a_wrong_json_type_is_a_parser_error(emulator, token):
    response = post(
        emulator, token, "MarketingAppExtension", MasterLabel="X", IsActive="yes"
    )

    assert error_code(response) == "JSON_PARSER_ERROR"


def test_references_must_name_records_of_the_org(emulator, token, extension_id):
    bad_extension = post(
        emulator,
        token,
        "MarketingAppExtActivity",
        MasterLabel="Registered",
        MarketingAppExtensionId="1Me000000000999AAA",
    )
    bad_unit = post(
        emulator,
        token,
        "MarketingAppExtAssignment",
        MarketingAppExtensionId=extension_id,
        ParentId="0Uv000000000999AAA",
    )

    assert error_code(bad_extension) == "FIELD_INTEGRITY_EXCEPTION"
    assert bad_extension.json()[0]["fields"] == ["MarketingAppExtensionId"]
    assert error_code(bad_unit) == "FIELD_INTEGRITY_EXCEPTION"
    assert bad_unit.json()[0]["fields"] == ["ParentId"]


def test_an_activity_types_extension_cannot_change(emulator, token, extension_id):
    type_id = create(
        emulator,
        token,
        "MarketingAppExtActivity",
        MasterLabel="Registered",
        MarketingAppExtensionId=extension_id,
    )

    response = tooling(
        emulator,
        token,
        "PATCH",
        f"sobjects/MarketingAppExtActivity/{type_id}",
        json={"MarketingAppExtensionId": extension_id},
    )

    assert error_code(response) == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_a_second_assignment_to_the_same_unit_is_a_duplicate_value(
    emulator, token, extension_id
):
    fields = {"MarketingAppExtensionId": extension_id, "ParentId": MARKETING_UNIT}
    create(emulator, token, "MarketingAppExtAssignment", **fields)

    again = post(emulator, token, "MarketingAppExtAssignment", **fields)
    other_unit = post(
        emulator,
        token,
        "MarketingAppExtAssignment",
        **{**fields, "ParentId": SALES_UNIT},
    )

    assert error_code(again) == "DUPLICATE_VALUE"
    assert other_unit.status_code == 201


def test_business_units_are_never_created(emulator, token):
    response = post(emulator, token, "PardotTenant", PardotTenantName="New unit")

    assert response.status_code == 405
    assert "business unit" in response.json()[0]["message"]
    query = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")
    assert query.json()["totalSize"] == 2


def test_a_business_unit_can_be_read_by_id(emulator, token):
    response = tooling(
        emulator, token, "GET", f"sobjects/PardotTenant/{MARKETING_UNIT}"
    )

    assert response.json()["PardotTenantName"] == "Demo Marketing"
    assert response.json()["CreationStatus"] == "Created"
    assert response.json()["PardotTenantId"].isdigit()


def test_the_extension_limit_is_limit_exceeded(emulator, token):
    emulator.settings(max_extensions=1)
    create(emulator, token, "MarketingAppExtension", MasterLabel="One")

    response = post(emulator, token, "MarketingAppExtension", MasterLabel="Two")

    assert response.status_code == 400
    assert error_code(response) == "LIMIT_EXCEEDED"


def test_the_activity_type_limit_is_per_extension(emulator, token, extension_id):
    emulator.settings(max_types_per_extension=1)
    create(
        emulator,
        token,
        "MarketingAppExtActivity",
        MasterLabel="One",
        MarketingAppExtensionId=extension_id,
    )

    response = post(
        emulator,
        token,
        "MarketingAppExtActivity",
        MasterLabel="Two",
        MarketingAppExtensionId=extension_id,
    )

    assert error_code(response) == "LIMIT_EXCEEDED"


def test_an_unknown_object_is_not_found(emulator, token):
    response = tooling(emulator, token, "GET", "sobjects/MarketingAppExtWidget/")

    assert response.status_code == 404
    assert error_code(response) == "NOT_FOUND"


def test_a_record_of_another_id_is_not_found(emulator, token):
    response = tooling(
        emulator, token, "GET", "sobjects/MarketingAppExtension/1Me000000000999AAA"
    )

    assert response.status_code == 404


def test_objects_are_unknown_before_their_api_version(emulator, token):
    extension = tooling(
        emulator, token, "GET", "sobjects/MarketingAppExtension/", "v52.0"
    )
    tenant_query = tooling_query(
        emulator, token, "SELECT Id FROM PardotTenant", "v55.0"
    )
    tenant_later = tooling_query(
        emulator, token, "SELECT Id FROM PardotTenant", "v56.0"
    )

    assert extension.status_code == 404
    assert tenant_query.status_code == 400
    assert (
        tenant_query.json()[0]["message"]
        == "sObject type 'PardotTenant' is not supported."
    )
    assert tenant_later.status_code == 200


def test_a_version_path_must_look_like_vnn_n(emulator, token):
    response = tooling(emulator, token, "GET", "sobjects/", "60")

    assert response.status_code == 404


def test_every_call_carries_the_api_usage(emulator, token):
    first = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")
    second = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")

    assert first.headers["Sforce-Limit-Info"] == "api-usage=1/15000"
    assert second.headers["Sforce-Limit-Info"] == "api-usage=2/15000"


def test_past_the_api_limit_calls_are_request_limit_exceeded(emulator, token):
    emulator.settings(api_request_limit=100, api_requests_used=99)

    last = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")
    refused = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")

    assert last.status_code == 200
    assert last.headers["Sforce-Limit-Info"] == "api-usage=100/100"
    assert refused.status_code == 403
    assert refused.json() == [
        {
            "message": "TotalRequests Limit exceeded.",
            "errorCode": "REQUEST_LIMIT_EXCEEDED",
        }
    ]


def test_a_token_without_the_api_scope_is_refused(emulator):
    token = emulator.token(scopes=["pardot_api", "id"])["access_token"]

    response = tooling_query(emulator, token, "SELECT Id FROM PardotTenant")

    assert response.status_code == 403
    assert error_code(response) == "INSUFFICIENT_ACCESS"


def test_a_missing_token_is_invalid_session_id(emulator):
    response = tooling(emulator, "", "GET", "sobjects/")

    assert response.status_code == 401
    assert error_code(response) == "INVALID_SESSION_ID"


def test_describe_lists_the_fields(emulator, token):
    response = tooling(
        emulator, token, "GET", "sobjects/MarketingAppExtActivity/describe"
    )

    fields = {f["name"]: f for f in response.json()["fields"]}
    assert fields["MarketingAppExtensionId"]["updateable"] is False
    assert fields["MasterLabel"]["createable"] is True
