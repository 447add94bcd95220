"""infra/*.bicep parse with pycep-parser and keep the facts the deployment depends on."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

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


def test_storage_holds_the_photo_table_and_a_private_deployment_container(bicep: Parsed) -> None:
    storage = _ok(bicep, "modules/storage.bicep")
    table = facts.the_resource(storage, "Microsoft.Storage/storageAccounts/tableServices/tables")
    assert table["name"] == "tableName"
    assert storage["parameters"]["tableName"]["type"] == "string"
    container = facts.the_resource(
        storage, "Microsoft.Storage/storageAccounts/blobServices/containers"
    )
    assert container["name"] == "deploymentContainerName"
    assert container["properties"]["publicAccess"] == "None"


def test_table_name_defaults_to_profile_photos(bicep: Parsed) -> None:
    main = _ok(bicep, "main.bicep")
    assert main["parameters"]["tableName"]["default"] == "ProfilePhotos"


def test_function_app_is_flex_consumption_python_311_deployed_with_identity(
    bicep: Parsed,
) -> None:
    assert facts.function_app_problems(_ok(bicep, "modules/function-app.bicep")) == []


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
    api = _api_module(bicep)
    settings = api["config"]["params"]["appSettings"]
    assert set(settings) == {
        "PHOTOS_STORAGE__tableServiceUri",
        "PHOTOS_STORAGE__clientId",
        "PHOTOS_TABLE_NAME",
        "AUTH_TENANT_ID",
        "AUTH_AUDIENCES",
    }
    assert settings["AUTH_AUDIENCES"] == "authAudiences"
    # The same identity the host uses, and the storage module's endpoint (not a connection string).
    assert settings["PHOTOS_STORAGE__clientId"] == api["config"]["params"]["identityClientId"]
    assert "PHOTOS_STORAGE" not in settings


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


_WEAKENINGS = {
    "storage.bicep": [
        ("allowSharedKeyAccess: false", "allowSharedKeyAccess: true"),
        ("minimumTlsVersion: 'TLS1_2'", "minimumTlsVersion: 'TLS1_0'"),
    ],
    "function-app.bicep": [
        ("version: '3.11'", "version: '3.10'"),
        ("name: 'FC1'", "name: 'Y1'"),
        ("AzureWebJobsStorage__credential: 'managedidentity'", "AzureWebJobsStorage: 'x'"),
    ],
    "rbac.bicep": [
        ("guid(storage.id, principalId, storageTableDataContributor)", "guid(storage.id)"),
    ],
}


@pytest.fixture(scope="session")
def weakened(tmp_path_factory: pytest.TempPathFactory) -> Parsed:
    """Copies of the modules with one weakening each, parsed like the real ones."""
    root = tmp_path_factory.mktemp("weakened")
    for module, edits in _WEAKENINGS.items():
        text = (INFRA / "modules" / module).read_text(encoding="utf-8")
        for index, (old, new) in enumerate(edits):
            assert old in text, f"{module}: {old!r} is gone; update the weakening"
            (root / f"{index}-{module}").write_text(text.replace(old, new), encoding="utf-8")
    return {Path(path).name: result for path, result in parse_bicep(root).items()}


def test_the_checks_catch_a_weakened_template(weakened: Parsed) -> None:
    checks = {
        "storage.bicep": facts.storage_account_problems,
        "function-app.bicep": lambda p: (
            facts.function_app_problems(p) + facts.host_settings_problems(p)
        ),
        "rbac.bicep": facts.role_assignment_problems,
    }
    missed = [
        name
        for name, result in weakened.items()
        if not checks[name.split("-", 1)[1]](_ok(weakened, name))
    ]
    assert len(weakened) == sum(map(len, _WEAKENINGS.values()))
    assert missed == []
