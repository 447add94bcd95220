"""The security and shape facts the templates must keep, as checks over pycep's parse.

Each ``*_problems`` function takes a parsed Bicep file (pycep's JSON) and returns what is wrong
with it, an empty list when nothing is. The tests assert the list is empty for infra/, and not
empty for a deliberately weakened copy, so a check that can never fail is caught too.
"""

from __future__ import annotations

from typing import Any

STORAGE_BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
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


def dotted(value: Any) -> str | None:
    """A reference as written (``storage.outputs.blobEndpoint``), from pycep's nested property
    accessors; ``None`` for anything else (a literal, a function call)."""
    if isinstance(value, str):
        return value
    operator = value.get("operator", {}) if isinstance(value, dict) else {}
    if operator.get("type") != "property_accessor":
        return None
    first, rest = (dotted(operand) for operand in operator["operands"].values())
    return None if first is None or rest is None else f"{first}.{rest}"


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


def parameter_problems(parsed: dict[str, Any], name: str, kind: str, default: Any) -> list[str]:
    """Whether the parameter ``name`` is declared with type ``kind`` and default ``default``."""
    param = parsed.get("parameters", {}).get(name, {})
    if (param.get("type"), param.get("default")) == (kind, default):
        return []
    return [
        f"parameter {name} is {param.get('type')} = {param.get('default')!r}, "
        f"want {kind} = {default!r}"
    ]


def container_problems(parsed: dict[str, Any]) -> list[str]:
    """The deployment package and photo containers exist, and no container is public."""
    containers = resources_of_type(
        parsed, "Microsoft.Storage/storageAccounts/blobServices/containers"
    )
    names = {c["config"]["name"] for c in containers}
    problems = [
        f"no container named by the {want} parameter"
        for want in ("deploymentContainerName", "photosContainerName")
        if want not in names
    ]
    problems += [
        f"container {c['config']['name']} has publicAccess "
        f"{c['config'].get('properties', {}).get('publicAccess')!r}, want 'None'"
        for c in containers
        if c["config"].get("properties", {}).get("publicAccess") != "None"
    ]
    return problems


def cors_problems(parsed: dict[str, Any]) -> list[str]:
    """The function app's platform CORS comes from its two parameters, which allow nothing by
    default: no origin, no credentials."""
    site = the_resource(parsed, "Microsoft.Web/sites")
    cors = site["properties"].get("siteConfig", {}).get("cors")
    want = {"allowedOrigins": "corsAllowedOrigins", "supportCredentials": "corsSupportCredentials"}
    problems = [] if cors == want else [f"siteConfig.cors is {cors}, want {want}"]
    problems += parameter_problems(parsed, "corsAllowedOrigins", "array", [])
    problems += parameter_problems(parsed, "corsSupportCredentials", "bool", False)
    return problems


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


# Where each role is granted: the narrowest scope that does the job. The photo bytes need blob
# access in their own container only; the host's Blob Data Owner is account-wide because the
# host creates its own containers; Create Table is an account-level operation.
_ROLE_SCOPES = {
    STORAGE_BLOB_DATA_OWNER: "Microsoft.Storage/storageAccounts",
    STORAGE_BLOB_DATA_CONTRIBUTOR: "Microsoft.Storage/storageAccounts/blobServices/containers",
    STORAGE_QUEUE_DATA_CONTRIBUTOR: "Microsoft.Storage/storageAccounts",
    STORAGE_TABLE_DATA_CONTRIBUTOR: "Microsoft.Storage/storageAccounts",
    MONITORING_METRICS_PUBLISHER: "Microsoft.Insights/components",
}


def role_assignment_problems(parsed: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    roles: set[str] = set()
    assignments = resources_of_type(parsed, "Microsoft.Authorization/roleAssignments")
    resources = parsed.get("resources", {})
    variables = parsed.get("variables", {})
    for assignment in assignments:
        config = assignment["config"]
        props = config["properties"]
        role_var = props["roleDefinitionId"]["function"]["parameters"]["resource_name_1"]
        role = variables.get(role_var, {}).get("value", role_var)
        roles.add(role)
        scope = config.get("scope")
        name = config["name"]
        guid = name.get("function", {}) if isinstance(name, dict) else {}
        args = list(guid.get("parameters", {}).values())
        if (
            guid.get("type") != "guid"
            or len(args) != 3
            or dotted(args[0]) != f"{scope}.id"
            or args[1:] != [props["principalId"], role_var]
        ):
            problems.append(f"role assignment name {name} is not guid(scope.id, principalId, role)")
        scope_type = resources.get(scope, {}).get("type")
        if role in _ROLE_SCOPES and scope_type != _ROLE_SCOPES[role]:
            problems.append(
                f"role {role_var} is granted on {scope} ({scope_type}), want a {_ROLE_SCOPES[role]}"
            )
        if props.get("principalType") != "ServicePrincipal":
            problems.append(
                f"role assignment for {role_var}: principalType is not ServicePrincipal"
            )
    wanted = {
        STORAGE_BLOB_DATA_OWNER: "Storage Blob Data Owner",
        STORAGE_BLOB_DATA_CONTRIBUTOR: "Storage Blob Data Contributor",
        STORAGE_QUEUE_DATA_CONTRIBUTOR: "Storage Queue Data Contributor",
        STORAGE_TABLE_DATA_CONTRIBUTOR: "Storage Table Data Contributor",
        MONITORING_METRICS_PUBLISHER: "Monitoring Metrics Publisher",
    }
    problems += [
        f"no {label} role assignment" for role, label in wanted.items() if role not in roles
    ]
    return problems


# The app's own settings, as main.bicep passes them to the function app module: the storage
# module's endpoints and names (never a connection string) and the identity's client ID.
_SERVICE_SETTINGS = {
    "PHOTOS_STORAGE__tableServiceUri": "storage.outputs.tableServiceUri",
    "PHOTOS_STORAGE__blobServiceUri": "storage.outputs.blobEndpoint",
    "PHOTOS_STORAGE__clientId": "identity.outputs.clientId",
    "PHOTOS_TABLE_NAME": "storage.outputs.tableName",
    "PHOTOS_CONTAINER_NAME": "storage.outputs.photosContainerName",
    "AUTH_TENANT_ID": "tenantId",
    "AUTH_AUDIENCES": "authAudiences",
    "DIRECTORY": "directory",
}


def module_params(parsed: dict[str, Any], path: str) -> dict[str, Any]:
    """The parameters ``main.bicep`` passes to the module at ``path`` (e.g. modules/rbac.bicep)."""
    (params,) = [
        m["config"]["params"]
        for m in parsed.get("modules", {}).values()
        if m["detail"]["path"] == path
    ]
    found: dict[str, Any] = params
    return found


def service_settings_problems(main: dict[str, Any]) -> list[str]:
    """main.bicep gives the app its storage endpoints, names and identity, and grants the photo
    role on the very container the app is told to use."""
    settings = module_params(main, "modules/function-app.bicep")["appSettings"]
    problems = [
        f"app setting {name} is {dotted(settings.get(name)) or settings.get(name)!r}, want {want}"
        for name, want in _SERVICE_SETTINGS.items()
        if dotted(settings.get(name)) != want
    ]
    problems += [
        f"unexpected app setting {name}" for name in sorted(set(settings) - set(_SERVICE_SETTINGS))
    ]
    storage = module_params(main, "modules/storage.bicep")
    if storage.get("photosContainerName") != "containerName":
        problems.append("the storage module's photo container is not the containerName parameter")
    rbac = module_params(main, "modules/rbac.bicep")
    if dotted(rbac.get("photosContainerName")) != "storage.outputs.photosContainerName":
        problems.append("the blob role is not granted on the storage module's photo container")
    return problems


def cors_flow_problems(main: dict[str, Any]) -> list[str]:
    """main.bicep's CORS parameters (a comma-separated string, as azd environment values are
    strings, and a bool) reach the function app module, split into the array it takes."""
    problems = parameter_problems(main, "corsAllowedOrigins", "string", "")
    problems += parameter_problems(main, "corsSupportCredentials", "bool", False)
    api = module_params(main, "modules/function-app.bicep")
    if api.get("corsSupportCredentials") != "corsSupportCredentials":
        problems.append("corsSupportCredentials does not reach the function app")
    origins_var = api.get("corsAllowedOrigins")
    variable = main.get("variables", {}).get(origins_var) if isinstance(origins_var, str) else None
    origins = variable["value"] if variable else origins_var
    operands = origins.get("operator", {}).get("operands", {}) if isinstance(origins, dict) else {}
    split = operands.get("false_value", {}).get("function", {})
    split_input = split.get("parameters", {}).get("input_string", {}).get("function", {})
    if (
        operands.get("condition", {}).get("function", {}).get("parameters")
        != {"item_to_test": "corsAllowedOrigins"}
        or operands.get("true_value") != []
        or split.get("type") != "split"
        or split.get("parameters", {}).get("delimiter") != ","
        or split_input.get("parameters", {}).get("original_string") != "corsAllowedOrigins"
    ):
        problems.append(
            f"corsAllowedOrigins reaches the function app as {origins_var!r} = {origins}, want "
            "empty(corsAllowedOrigins) ? [] : split(replace(corsAllowedOrigins, ' ', ''), ',')"
        )
    return problems
