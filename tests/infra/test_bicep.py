"""infra/*.bicep parse with pycep-parser and keep the facts the deployment depends on."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.config import DEFAULT_DIRECTORY, DIRECTORY_KINDS
from tests.infra import facts
from tests.infra.conftest import INFRA, REPO, infra_tool, parse_bicep, run

Parsed = dict[str, dict[str, Any]]


def _ok(bicep: Parsed, name: str) -> dict[str, Any]:
    result = bicep[name]
    assert "ok" in result, f"{name}: {result.get('error')}"
    parsed: dict[str, Any] = result["ok"]
    return parsed


def _api_module(bicep: Parsed) -> dict[str, Any]:
    """main.bicep's use of the function app module."""
    modules = _ok(bicep, "main.bicep")["modules"].values()
    api: dict[str, Any] = next(
        m for m in modules if m["detail"]["path"] == "modules/function-app.bicep"
    )
    return api


def test_every_bicep_file_parses(bicep: Parsed) -> None:
    on_disk = {str(p.relative_to(INFRA)) for p in INFRA.rglob("*.bicep")}
    assert set(bicep) == on_disk
    errors = {name: r["error"] for name, r in bicep.items() if "error" in r}
    assert errors == {}


def test_main_is_subscription_scoped_and_tags_the_resource_group(bicep: Parsed) -> None:
    main = _ok(bicep, "main.bicep")
    assert main["globals"]["scope"]["value"] == "subscription"
    assert facts.unquoted(main["variables"]["tags"]["value"]) == {"azd-env-name": "environmentName"}
    group = facts.the_resource(main, "Microsoft.Resources/resourceGroups")
    assert group["tags"] == "tags"


def test_every_module_file_is_used_by_main(bicep: Parsed) -> None:
    main = _ok(bicep, "main.bicep")
    used = {m["detail"]["path"] for m in main["modules"].values()}
    assert used == {name for name in bicep if name.startswith("modules/")}


def test_every_parameter_and_output_is_described(bicep: Parsed) -> None:
    undocumented = [
        f"{name}: {kind} {symbol}"
        for name in bicep
        for kind in ("parameters", "outputs")
        for symbol, item in _ok(bicep, name).get(kind, {}).items()
        if not any(d["type"] == "description" for d in item["decorators"])
    ]
    assert undocumented == []


def test_storage_account_is_entra_only_tls12_and_private(bicep: Parsed) -> None:
    assert facts.storage_account_problems(_ok(bicep, "modules/storage.bicep")) == []


def test_storage_holds_the_photo_table_and_private_containers(bicep: Parsed) -> None:
    storage = _ok(bicep, "modules/storage.bicep")
    table = facts.the_resource(storage, "Microsoft.Storage/storageAccounts/tableServices/tables")
    assert table["name"] == "tableName"
    assert storage["parameters"]["tableName"]["type"] == "string"
    assert facts.container_problems(storage) == []
    # The name the app and the role assignment get is the container's own, created here.
    output = storage["outputs"]["photosContainerName"]["value"]
    assert facts.dotted(output) == "photosContainer.name"


def test_table_and_container_names_default_to_the_apps_defaults(bicep: Parsed) -> None:
    params = _ok(bicep, "main.bicep")["parameters"]
    assert params["tableName"]["default"] == "ProfilePhotos"
    assert params["containerName"]["default"] == "profile-photos"


def test_the_directory_defaults_to_the_apps_default_and_allows_what_the_app_reads(
    bicep: Parsed,
) -> None:
    directory = _ok(bicep, "main.bicep")["parameters"]["directory"]
    assert directory["default"] == DEFAULT_DIRECTORY
    [allowed] = [d["argument"] for d in directory["decorators"] if d["type"] == "allowed"]
    assert sorted(allowed) == sorted(DIRECTORY_KINDS)


def test_function_app_is_flex_consumption_python_311_deployed_with_identity(
    bicep: Parsed,
) -> None:
    assert facts.function_app_problems(_ok(bicep, "modules/function-app.bicep")) == []


def test_browsers_get_platform_cors_from_parameters_allowing_nothing_by_default(
    bicep: Parsed,
) -> None:
    assert facts.cors_problems(_ok(bicep, "modules/function-app.bicep")) == []


def test_cors_parameters_flow_from_main_into_the_function_app(bicep: Parsed) -> None:
    assert facts.cors_flow_problems(_ok(bicep, "main.bicep")) == []


def test_host_storage_and_telemetry_use_the_managed_identity(bicep: Parsed) -> None:
    assert facts.host_settings_problems(_ok(bicep, "modules/function-app.bicep")) == []


def test_basic_auth_publishing_is_disabled(bicep: Parsed) -> None:
    app = _ok(bicep, "modules/function-app.bicep")
    policies = facts.resources_of_type(
        app, "Microsoft.Web/sites/basicPublishingCredentialsPolicies"
    )
    assert {(p["config"]["name"], p["config"]["properties"]["allow"]) for p in policies} == {
        ("ftp", False),
        ("scm", False),
    }


def test_service_settings_are_passed_from_main(bicep: Parsed) -> None:
    main = _ok(bicep, "main.bicep")
    assert facts.service_settings_problems(main) == []
    api = _api_module(bicep)["config"]["params"]
    # The same identity the host uses, and endpoints (not a connection string).
    assert api["appSettings"]["PHOTOS_STORAGE__clientId"] == api["identityClientId"]
    assert "PHOTOS_STORAGE" not in api["appSettings"]
    # The blob endpoint the app gets is the account's primary one, as the deployment uses.
    assert api["appSettings"]["PHOTOS_STORAGE__blobServiceUri"] == api["storageBlobEndpoint"]
    storage = _ok(bicep, "modules/storage.bicep")
    endpoint = facts.dotted(storage["outputs"]["blobEndpoint"]["value"])
    assert endpoint == "storage.properties.primaryEndpoints.blob"


def test_tenant_defaults_to_the_deployment_tenant(bicep: Parsed) -> None:
    main = _ok(bicep, "main.bicep")
    tenant_id = main["variables"]["tenantId"]["value"]["operator"]
    assert tenant_id["type"] == "conditional"
    assert tenant_id["operands"]["condition"]["function"]["type"] == "empty"
    default = tenant_id["operands"]["true_value"]["function"]
    assert default["type"] == "tenant"
    assert "tenantId" in str(default["property_name"])  # pycep 0.5.1 gives its token's repr
    assert tenant_id["operands"]["false_value"] == "authTenantId"


def test_table_endpoint_is_the_https_table_service_uri(bicep: Parsed) -> None:
    storage = _ok(bicep, "modules/storage.bicep")
    uri = storage["outputs"]["tableServiceUri"]["value"]
    assert uri == "https://${storage.name}.table.${environment().suffixes.storage}"


def test_application_insights_accepts_entra_auth_only(bicep: Parsed) -> None:
    monitoring = _ok(bicep, "modules/monitoring.bicep")
    insights = facts.the_resource(monitoring, "Microsoft.Insights/components")
    assert insights["properties"]["DisableLocalAuth"] is True
    assert insights["properties"]["WorkspaceResourceId"]  # workspace-based, with Log Analytics
    facts.the_resource(monitoring, "Microsoft.OperationalInsights/workspaces")


def test_identity_has_the_data_roles_with_deterministic_names(bicep: Parsed) -> None:
    assert facts.role_assignment_problems(_ok(bicep, "modules/rbac.bicep")) == []


def test_outputs_azd_needs(bicep: Parsed) -> None:
    outputs = _ok(bicep, "main.bicep")["outputs"]
    assert {
        "AZURE_LOCATION",
        "AZURE_TENANT_ID",
        "AZURE_RESOURCE_GROUP",
        "AZURE_FUNCTION_NAME",
        "AZURE_FUNCTION_URL",
        "SERVICE_API_NAME",
        "PHOTOS_STORAGE_BLOB_SERVICE_URI",
        "PHOTOS_CONTAINER_NAME",
    } <= set(outputs)


def test_parameters_file_maps_azd_environment_values(bicep: Parsed) -> None:
    main_params = _ok(bicep, "main.bicep")["parameters"]
    values = json.loads((INFRA / "main.parameters.json").read_text(encoding="utf-8"))["parameters"]
    assert set(values) <= set(main_params), "main.parameters.json sets an unknown parameter"
    required = {name for name, p in main_params.items() if p.get("default") is None}
    assert required <= set(values), "a required parameter is missing from main.parameters.json"
    assert values["authAudiences"]["value"] == "${AUTH_AUDIENCES}"
    assert values["environmentName"]["value"] == "${AZURE_ENV_NAME}"
    assert values["location"]["value"] == "${AZURE_LOCATION}"
    assert values["containerName"]["value"] == "${PHOTOS_CONTAINER_NAME=profile-photos}"
    assert values["corsAllowedOrigins"]["value"] == "${CORS_ALLOWED_ORIGINS}"
    assert values["corsSupportCredentials"]["value"] == "${CORS_SUPPORT_CREDENTIALS=false}"
    for name, entry in values.items():
        assert re.fullmatch(r"\$\{[A-Z_]+(=[^}]*)?\}", entry["value"]), name


def test_azure_yaml_deploys_this_folder_as_the_api_function(bicep: Parsed) -> None:
    python = infra_tool("python")  # PyYAML comes with checkov; .venv does not have it
    code = "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))"
    result = run([str(python), "-c", code, str(REPO / "azure.yaml")], timeout=60)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    assert services == {"api": {"project": ".", "language": "python", "host": "function"}}
    api = _api_module(bicep)
    assert api["config"]["params"]["serviceName"] == "api"


# One weakening per copy, keyed by the file's path under infra/; each must be caught by the
# checks of that file (_CHECKS).
_WEAKENINGS = {
    "modules/storage.bicep": [
        ("allowSharedKeyAccess: false", "allowSharedKeyAccess: true"),
        ("minimumTlsVersion: 'TLS1_2'", "minimumTlsVersion: 'TLS1_0'"),
        (
            "name: photosContainerName\n  properties: {\n    publicAccess: 'None'",
            "name: photosContainerName\n  properties: {\n    publicAccess: 'Blob'",
        ),
        ("name: photosContainerName\n", "name: 'photos'\n"),
    ],
    "modules/function-app.bicep": [
        ("version: '3.11'", "version: '3.10'"),
        ("name: 'FC1'", "name: 'Y1'"),
        ("AzureWebJobsStorage__credential: 'managedidentity'", "AzureWebJobsStorage: 'x'"),
        ("supportCredentials: corsSupportCredentials", "supportCredentials: true"),
        ("param corsAllowedOrigins array = []", "param corsAllowedOrigins array = ['*']"),
        ("      cors: {", "      corsOff: {"),
    ],
    "modules/rbac.bicep": [
        ("guid(storage.id, principalId, storageTableDataContributor)", "guid(storage.id)"),
        # Another role under the Contributor's name: Owner of the photo container.
        (
            "storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'",
            "storageBlobDataContributor = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'",
        ),
        # The photo role widened to the whole account.
        (
            "guid(photosContainer.id, principalId, storageBlobDataContributor)\n"
            "  scope: photosContainer",
            "guid(storage.id, principalId, storageBlobDataContributor)\n  scope: storage",
        ),
    ],
    "main.bicep": [
        (
            "PHOTOS_CONTAINER_NAME: storage.outputs.photosContainerName",
            "PHOTOS_CONTAINER_NAME: 'x'",
        ),
        ("      PHOTOS_STORAGE__blobServiceUri: storage.outputs.blobEndpoint\n", ""),
        ("photosContainerName: storage.outputs.photosContainerName", "photosContainerName: 'x'"),
        ("corsSupportCredentials: corsSupportCredentials\n", "corsSupportCredentials: true\n"),
        ("corsAllowedOrigins: corsOrigins", "corsAllowedOrigins: ['*']"),
        ("param corsAllowedOrigins string = ''", "param corsAllowedOrigins string = '*'"),
    ],
}

_CHECKS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "storage.bicep": lambda p: facts.storage_account_problems(p) + facts.container_problems(p),
    "function-app.bicep": lambda p: (
        facts.function_app_problems(p) + facts.host_settings_problems(p) + facts.cors_problems(p)
    ),
    "rbac.bicep": facts.role_assignment_problems,
    "main.bicep": lambda p: facts.service_settings_problems(p) + facts.cors_flow_problems(p),
}


@pytest.fixture(scope="session")
def weakened(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    """Copies of the templates with one weakening each, parsed like the real ones."""
    root = tmp_path_factory.mktemp("weakened")
    for path, edits in _WEAKENINGS.items():
        text = (INFRA / path).read_text(encoding="utf-8")
        for index, (old, new) in enumerate(edits):
            assert text.count(old) == 1, f"{path}: {old!r} is gone or not unique; update it"
            name = f"{index}-{Path(path).name}"
            (root / name).write_text(text.replace(old, new), encoding="utf-8")
    return {Path(path).name: result for path, result in parse_bicep(root).items()}


def test_the_checks_pass_on_the_real_templates(bicep: Parsed) -> None:
    # The other half of the weakened-copy test: the same checks, on what is deployed.
    problems = {path: _CHECKS[Path(path).name](_ok(bicep, path)) for path in _WEAKENINGS}
    assert problems == {path: [] for path in _WEAKENINGS}


def test_the_checks_catch_a_weakened_template(weakened: Parsed) -> None:
    missed = [
        name
        for name, result in weakened.items()
        if not _CHECKS[name.split("-", 1)[1]](_ok(weakened, name))
    ]
    assert len(weakened) == sum(map(len, _WEAKENINGS.values()))
    assert missed == []
