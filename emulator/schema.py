"""The sObjects the emulator serves, with their fields and allowed verbs."""

from __future__ import annotations

from dataclasses import dataclass

LANGUAGES = [
    "da",
    "de",
    "en_US",
    "es",
    "es_MX",
    "fi",
    "fr",
    "it",
    "ja",
    "ko",
    "nl_NL",
    "no",
    "pt_BR",
    "ru",
    "sv",
    "th",
    "zh_CN",
    "zh_TW",
]


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "string"  # id, string, textarea, boolean, reference, datetime
    create: bool = False
    update: bool = False
    required: bool = False
    max_length: int | None = None
    reference_to: str | None = None
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class SObject:
    name: str
    key_prefix: str
    fields: tuple[Field, ...]
    verbs: frozenset[str]
    since: float
    on_rest: bool
    on_tooling: bool
    # Field names whose values, together, may appear only once per org.
    unique_together: tuple[str, ...] = ()
    unique_code: str = "DUPLICATE_VALUE"

    def field(self, name: str) -> Field | None:
        lowered = name.lower()
        return next((f for f in self.fields if f.name.lower() == lowered), None)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


_AUDIT = (
    Field("CreatedDate", "datetime"),
    Field("CreatedById", "reference", reference_to="User"),
    Field("LastModifiedDate", "datetime"),
    Field("LastModifiedById", "reference", reference_to="User"),
)
_LANGUAGE = Field("Language", "picklist", create=True, update=True, choices=LANGUAGES)
_PACKAGING = (
    Field("ManageableState", "picklist"),
    Field("NamespacePrefix"),
)
# Choice: 40 characters for API names and labels, 1000 for descriptions;
# the documentation gives no maximum for these objects.
_DEVELOPER_NAME = Field("DeveloperName", create=True, update=True, max_length=40)
_LABEL = Field("MasterLabel", create=True, update=True, required=True, max_length=40)
_DESCRIPTION = Field(
    "Description", "textarea", create=True, update=True, max_length=1000
)
_IS_ACTIVE = Field("IsActive", "boolean", create=True, update=True)

# Choice: the MarketingApp* key prefixes (1Me, 1Ma, 1Mg) are made up; the
# documentation gives only PardotTenant's 0Uv.
ORGANIZATION = SObject(
    "Organization",
    "00D",
    (
        Field("Id", "id"),
        Field("Name"),
        Field("IsSandbox", "boolean"),
        Field("OrganizationType"),
        Field("InstanceName"),
    ),
    frozenset({"GET"}),
    since=20.0,
    on_rest=True,
    on_tooling=True,
)
USER = SObject(
    "User",
    "005",
    (
        Field("Id", "id"),
        Field("Username"),
        Field("Name"),
        Field("FirstName"),
        Field("LastName"),
        Field("Email"),
        Field("IsActive", "boolean"),
    ),
    frozenset({"GET"}),
    since=20.0,
    on_rest=True,
    on_tooling=True,
)
PARDOT_TENANT = SObject(
    "PardotTenant",
    "0Uv",
    (
        Field("Id", "id"),
        Field("PardotTenantName"),
        Field("MasterLabel"),
        Field("DeveloperName"),
        Field("PardotTenantId"),
        Field("CreationStatus", "picklist"),
        Field("PardotTenantStatusCode", "picklist"),
        Field("InitialPardotAdminId", "reference", reference_to="User"),
        Field("Language", "picklist"),
        *_AUDIT,
    ),
    frozenset({"GET"}),
    since=56.0,
    on_rest=True,
    on_tooling=True,
)
EXTENSION = SObject(
    "MarketingAppExtension",
    "1Me",
    (
        Field("Id", "id"),
        _DEVELOPER_NAME,
        _LABEL,
        _DESCRIPTION,
        _IS_ACTIVE,
        _LANGUAGE,
        *_PACKAGING,
        *_AUDIT,
    ),
    frozenset({"GET", "POST", "PATCH"}),
    since=53.0,
    on_rest=False,
    on_tooling=True,
    unique_together=("DeveloperName",),
    unique_code="DUPLICATE_DEVELOPER_NAME",
)
ACTIVITY_TYPE = SObject(
    "MarketingAppExtActivity",
    "1Ma",
    (
        Field("Id", "id"),
        _DEVELOPER_NAME,
        _LABEL,
        _DESCRIPTION,
        _IS_ACTIVE,
        Field(
            "MarketingAppExtensionId",
            "reference",
            create=True,
            required=True,
            reference_to="MarketingAppExtension",
        ),
        Field("EndpointUrl"),
        _LANGUAGE,
        *_PACKAGING,
        *_AUDIT,
    ),
    frozenset({"GET", "POST", "PATCH"}),
    since=53.0,
    on_rest=False,
    on_tooling=True,
    # Choice: an activity type's API name is unique within its extension.
    unique_together=("MarketingAppExtensionId", "DeveloperName"),
    unique_code="DUPLICATE_DEVELOPER_NAME",
)
ASSIGNMENT = SObject(
    "MarketingAppExtAssignment",
    "1Mg",
    (
        Field("Id", "id"),
        Field(
            "MarketingAppExtensionId",
            "reference",
            create=True,
            update=True,
            required=True,
            reference_to="MarketingAppExtension",
        ),
        Field(
            "ParentId",
            "reference",
            create=True,
            update=True,
            required=True,
            reference_to="PardotTenant",
        ),
        *_AUDIT,
    ),
    frozenset({"GET", "POST", "PATCH", "DELETE"}),
    since=53.0,
    on_rest=False,
    on_tooling=True,
    # Choice: an extension may be assigned to several business units, but to
    # each one only once.
    unique_together=("MarketingAppExtensionId", "ParentId"),
)

OBJECTS = {
    spec.name: spec
    for spec in (
        ORGANIZATION,
        USER,
        PARDOT_TENANT,
        EXTENSION,
        ACTIVITY_TYPE,
        ASSIGNMENT,
    )
}


def find_object(name: str, version: float, tooling: bool) -> SObject | None:
    """The object by name (any case) if that API surface and version serve it.

    Choice: Organization, User and PardotTenant answer on both the REST and
    the Tooling surface; the MarketingApp* objects only on Tooling.
    """
    spec = next((s for s in OBJECTS.values() if s.name.lower() == name.lower()), None)
    if spec is None or version < spec.since:
        return None
    return spec if (spec.on_tooling if tooling else spec.on_rest) else None
