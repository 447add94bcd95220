"""The security and shape facts the templates must keep, as checks over pycep's parse.

Each ``*_problems`` function takes a parsed Bicep file (pycep's JSON) and returns what is wrong
with it, an empty list when nothing is. The tests assert the list is empty for infra/, and not
empty for a deliberately weakened copy, so a check that can never fail is caught too.
"""

from __future__ import annotations

from typing import Any

STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
STORAGE_TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"


def key(name: str) -> str:
    """An object key as written in Bicep, without its quotes ('azd-env-name' -> azd-env-name)."""
    return name[1:-1] if len(name) >= 2 and name[0] == name[-1] == "'" else name


def unquoted(obj: dict[str, Any]) -> dict[str, Any]:
    return {key(k): v for k, v in obj.items()}


def resources_of_type(parsed: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [
        r
        for r in parsed.get("resources", {}).values()
        if r["type"] == resource_type and not r["existing"]
    ]


def the_resource(parsed: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = resources_of_type(parsed, resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    config: dict[str, Any] = found[0]["config"]
    return config


def union_args(value: Any) -> list[Any]:
    """The arguments of ``union(a, b, ...)``, or ``[value]`` when it is not a union."""
    if isinstance(value, dict) and value.get("function", {}).get("type") == "union":
        return list(value["function"]["parameters"].values())
    return [value]


def storage_account_problems(parsed: dict[str, Any]) -> list[str]:
    props = the_resource(parsed, "Microsoft.Storage/storageAccounts")["properties"]
    expected = {
        "allowSharedKeyAccess": False,
        "minimumTlsVersion": "TLS1_2",
        "allowBlobPublicAccess": False,
        "supportsHttpsTrafficOnly": True,
        "defaultToOAuthAuthentication": True,
    }
    return [
        f"storage account {name} is {props.get(name)!r}, want {want!r}"
        for name, want in expected.items()
        if props.get(name) != want
    ]


def function_app_problems(parsed: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    plan = the_resource(parsed, "Microsoft.Web/serverfarms")
    if plan["sku"] != {"name": "FC1", "tier": "FlexConsumption"}:
        problems.append(f"plan sku is {plan['sku']}, want FC1 / FlexConsumption")
    if plan["properties"].get("reserved") is not True:
        problems.append("plan is not a Linux plan (reserved: true)")

    site = the_resource(parsed, "Microsoft.Web/sites")
    props = site["properties"]
    if site["kind"] != "functionapp,linux":
        problems.append(f"app kind is {site['kind']!r}, want 'functionapp,linux'")
    if props.get("httpsOnly") is not True:
        problems.append("app is not httpsOnly")
    if props.get("siteConfig", {}).get("minTlsVersion") != "1.2":
        problems.append("app minTlsVersion is not 1.2")
    if site["identity"]["type"] != "UserAssigned":
        problems.append("app does not run as a user-assigned identity")
    config = props.get("functionAppConfig", {})
    if config.get("runtime") != {"name": "python", "version": "3.11"}:
        problems.append(f"runtime is {config.get('runtime')}, want python 3.11")
    storage = config.get("deployment", {}).get("storage", {})
    if storage.get("type") != "blobContainer":
        problems.append("deployment storage is not a blob container")
    if storage.get("authentication", {}).get("type") != "UserAssignedIdentity":
        problems.append("deployment storage does not authenticate with the user-assigned identity")

    tag_sets = [unquoted(t) for t in union_args(site["tags"]) if isinstance(t, dict)]
    if not any(t.get("azd-service-name") == "serviceName" for t in tag_sets):
        problems.append("app has no azd-service-name tag")
    return problems


def app_settings(parsed: dict[str, Any]) -> dict[str, Any]:
    """The literal app settings of the function app's ``appsettings`` config resource."""
    config = the_resource(parsed, "Microsoft.Web/sites/config")
    assert config["name"] == "appsettings"
    settings: dict[str, Any] = {}
    for arg in union_args(config["properties"]):
        if isinstance(arg, dict):
            settings.update(arg)
    return settings


def host_settings_problems(parsed: dict[str, Any]) -> list[str]:
    settings = app_settings(parsed)
    expected = {
        "AzureWebJobsStorage__accountName": "storageAccountName",
        "AzureWebJobsStorage__credential": "managedidentity",
        "AzureWebJobsStorage__clientId": "identityClientId",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": "ClientId=${identityClientId};Authorization=AAD",
    }
    problems = [
        f"app setting {name} is {settings.get(name)!r}, want {want!r}"
        for name, want in expected.items()
        if settings.get(name) != want
    ]
    # A connection string (shared key) for the host, or settings Flex Consumption rejects.
    forbidden = {"AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME", "WEBSITE_RUN_FROM_PACKAGE"}
    problems += [
        f"app setting {name} must not be set" for name in sorted(forbidden & set(settings))
    ]
    return problems


def role_assignment_problems(parsed: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    roles: set[str] = set()
    assignments = resources_of_type(parsed, "Microsoft.Authorization/roleAssignments")
    variables = parsed.get("variables", {})
    for assignment in assignments:
        config = assignment["config"]
        props = config["properties"]
        role_var = props["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
        roles.add(variables.get(role_var, {}).get("value", role_var))
        name = config["name"]
        guid = name.get("function", {}) if isinstance(name, dict) else {}
        args = list(guid.get("parameters", {}).values())
        first = args[0] if args and isinstance(args[0], dict) else {}
        scope_id = first.get("operator", {}).get("operands", {})
        if (
            guid.get("type") != "guid"
            or len(args) != 3
            or scope_id.get("operand_2") != "id"
            or args[1:] != [props["principalId"], role_var]
        ):
            problems.append(f"role assignment name {name} is not guid(scope.id, principalId, role)")
        if props.get("principalType") != "ServicePrincipal":
            problems.append(
                f"role assignment for {role_var}: principalType is not ServicePrincipal"
            )
    wanted = {
        STORAGE_BLOB_DATA_OWNER: "Storage Blob Data Owner",
        STORAGE_QUEUE_DATA_CONTRIBUTOR: "Storage Queue Data Contributor",
        STORAGE_TABLE_DATA_CONTRIBUTOR: "Storage Table Data Contributor",
        MONITORING_METRICS_PUBLISHER: "Monitoring Metrics Publisher",
    }
    problems += [
        f"no {label} role assignment" for role, label in wanted.items() if role not in roles
    ]
    return problems
