"""Reading and loading a Functions app folder the way the Functions host and Python worker do.

``load_functions_app(root, environ)``:

1. reads ``host.json`` (route prefix, ``extensions.http.routePrefix``, default ``api``);
2. copies ``local.settings.json`` ``Values`` into ``environ`` without overriding what is set;
3. puts ``root`` on ``sys.path`` (so ``import shared`` works) and imports each function folder
   with a ``function.json`` as a package named after the folder (so relative imports work);
4. returns the loaded functions, their route table, the functions that failed to load and
   the CORS policy of ``local.settings.json``'s ``Host`` section (``devtools.cors``).

Dev-host conventions a function's script module may follow (the Functions host ignores them):

    max_request_body_bytes: int      the function's body limit; the dev host answers 413
                                     before reading a body whose Content-Length is larger,
                                     and stops reading a chunked one past it
    async def on_host_shutdown()     awaited once when the dev host stops (the same function
                                     shared by several modules is awaited once)

Errors::

    FunctionAppError    the app itself is unusable (no/invalid host.json or local.settings.json)
    FunctionLoadError   one function cannot be loaded; the others still serve
"""

from __future__ import annotations

import importlib
import inspect
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from devtools.cors import CorsPolicy, CorsSettingsError
from devtools.route_syntax import RouteTemplateError
from devtools.routing import Route, RouteTable, RouteTemplate, join_route_prefix

logger = logging.getLogger("devtools.host")

_DEFAULT_ROUTE_PREFIX = "api"


class FunctionAppError(Exception):
    """The app folder cannot be served at all; the message names the file and the problem."""


class FunctionLoadError(Exception):
    """One function cannot be loaded; the message says why."""


@dataclass(frozen=True)
class HttpTrigger:
    param_name: str
    route: str
    methods: frozenset[str] | None  # upper-case; None means every method
    auth_level: str


@dataclass(frozen=True)
class FunctionDefinition:
    name: str
    directory: Path
    script_file: Path
    entry_point: str
    trigger: HttpTrigger


ShutdownHook = Callable[[], Awaitable[object]]


@dataclass(frozen=True)
class LoadedFunction:
    definition: FunctionDefinition
    route: Route
    main: Callable[..., Any]
    max_request_body_bytes: int | None = None
    on_host_shutdown: ShutdownHook | None = None

    @property
    def name(self) -> str:
        return self.definition.name

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.main)


@dataclass(frozen=True)
class LoadFailure:
    name: str
    reason: str


@dataclass(frozen=True)
class FunctionsApp:
    root: Path
    route_prefix: str
    functions: tuple[LoadedFunction, ...]
    failures: tuple[LoadFailure, ...]
    disabled: tuple[str, ...]
    cors: CorsPolicy

    @property
    def route_table(self) -> RouteTable:
        return RouteTable(function.route for function in self.functions)


def load_functions_app(root: Path, environ: MutableMapping[str, str]) -> FunctionsApp:
    root = root.resolve()
    route_prefix = read_route_prefix(root)
    apply_local_settings(root, environ)
    cors = read_cors_policy(root)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    functions: list[LoadedFunction] = []
    failures: list[LoadFailure] = []
    disabled: list[str] = []
    for directory in sorted(path.parent for path in root.glob("*/function.json")):
        name = directory.name
        try:
            definition = read_function_definition(directory)
            if definition is None or _is_disabled(name, environ):
                disabled.append(name)
                continue
            functions.append(_load_function(root, route_prefix, definition))
        except FunctionLoadError as error:
            logger.error("Function %s failed to load: %s", name, error, exc_info=error.__cause__)
            failures.append(LoadFailure(name, str(error)))
    return FunctionsApp(
        root, route_prefix, tuple(functions), tuple(failures), tuple(disabled), cors
    )


def read_route_prefix(root: Path) -> str:
    host_json = _read_json(root / "host.json", FunctionAppError)
    if not isinstance(host_json, dict):
        raise FunctionAppError(f"{root / 'host.json'}: expected a JSON object")
    extensions = host_json.get("extensions") or {}
    http = extensions.get("http") or {} if isinstance(extensions, dict) else None
    prefix = http.get("routePrefix", _DEFAULT_ROUTE_PREFIX) if isinstance(http, dict) else None
    if not isinstance(prefix, str):
        raise FunctionAppError(
            f"{root / 'host.json'}: extensions.http.routePrefix must be a string"
        )
    return prefix.strip("/")


def apply_local_settings(root: Path, environ: MutableMapping[str, str]) -> list[str]:
    """Copy ``local.settings.json`` ``Values`` into ``environ`` unless set; returns the names."""
    path = root / "local.settings.json"
    settings = _read_local_settings(path)
    if settings.get("IsEncrypted") is True:
        raise FunctionAppError(f"{path}: encrypted settings are not supported by the dev host")
    applied: list[str] = []
    for name, value in settings.get("Values", {}).items():
        if name in environ or value is None:
            continue
        if isinstance(value, dict | list):
            raise FunctionAppError(f"{path}: Values.{name} must be a string")
        environ[name] = str(value) if not isinstance(value, bool) else str(value).title()
        applied.append(name)
    return applied


def read_cors_policy(root: Path) -> CorsPolicy:
    """``Host.CORS`` and ``Host.CORSCredentials`` of ``local.settings.json``, as ``func start``."""
    path = root / "local.settings.json"
    host = _read_local_settings(path).get("Host", {})
    if not isinstance(host, dict):
        raise FunctionAppError(f"{path}: 'Host' must be an object")
    try:
        return CorsPolicy.from_host_settings(host)
    except CorsSettingsError as error:
        raise FunctionAppError(f"{path}: {error}") from error


def _read_local_settings(path: Path) -> Mapping[str, Any]:
    if not path.exists():
        return {}
    settings = _read_json(path, FunctionAppError)
    if not isinstance(settings, dict) or not isinstance(settings.get("Values", {}), dict):
        raise FunctionAppError(f"{path}: expected an object with a 'Values' object")
    return settings


def read_function_definition(directory: Path) -> FunctionDefinition | None:
    """The function's HTTP trigger and entry point; ``None`` when function.json disables it."""
    config = _read_json(directory / "function.json", FunctionLoadError)
    if not isinstance(config, dict):
        raise FunctionLoadError("function.json: expected a JSON object")
    if config.get("disabled") is True:
        return None
    bindings = config.get("bindings")
    if not isinstance(bindings, list) or not all(isinstance(b, dict) for b in bindings):
        raise FunctionLoadError("function.json: 'bindings' must be a list of objects")
    trigger = _http_trigger(directory.name, bindings)
    script = config.get("scriptFile") or "__init__.py"
    entry_point = config.get("entryPoint") or "main"
    if not isinstance(script, str) or not isinstance(entry_point, str):
        raise FunctionLoadError("function.json: scriptFile and entryPoint must be strings")
    return FunctionDefinition(
        directory.name, directory, (directory / script).resolve(), entry_point, trigger
    )


def _http_trigger(name: str, bindings: list[dict[str, Any]]) -> HttpTrigger:
    triggers = [b for b in bindings if str(b.get("type", "")).lower() == "httptrigger"]
    if len(triggers) != 1:
        raise FunctionLoadError("function.json: the dev host serves one 'httpTrigger' binding")
    for binding in bindings:
        kind = str(binding.get("type", "")).lower()
        if kind == "http" and binding.get("name") != "$return":
            raise FunctionLoadError("function.json: the dev host supports http out as '$return'")
        if kind not in ("http", "httptrigger"):
            raise FunctionLoadError(f"function.json: binding type {kind!r} is not supported")
    trigger = triggers[0]
    route = trigger.get("route") or name
    methods = trigger.get("methods") or None
    param_name = trigger.get("name")
    if not isinstance(param_name, str) or not param_name:
        raise FunctionLoadError("function.json: the httpTrigger binding needs a 'name'")
    if not isinstance(route, str):
        raise FunctionLoadError("function.json: 'route' must be a string")
    if methods is not None and (
        not isinstance(methods, list) or not all(isinstance(m, str) for m in methods)
    ):
        raise FunctionLoadError("function.json: 'methods' must be a list of strings")
    return HttpTrigger(
        param_name=param_name,
        route=route.lstrip("/"),
        methods=None if methods is None else frozenset(m.upper() for m in methods),
        auth_level=str(trigger.get("authLevel", "function")),
    )


def _load_function(root: Path, route_prefix: str, definition: FunctionDefinition) -> LoadedFunction:
    try:
        template = RouteTemplate.parse(join_route_prefix(route_prefix, definition.trigger.route))
    except RouteTemplateError as error:
        raise FunctionLoadError(str(error)) from error
    route = Route(definition.name, template, definition.trigger.methods)
    module = _import_script(root, definition)
    main: object = getattr(module, definition.entry_point, None)
    if not callable(main):
        raise FunctionLoadError(
            f"{definition.entry_point}() is not defined in "
            f"{definition.script_file.relative_to(root)}"
        )
    declared = set(inspect.signature(main).parameters)
    if declared != {definition.trigger.param_name}:
        raise FunctionLoadError(
            f"{definition.entry_point}() takes {sorted(declared)}, but function.json binds only "
            f"{definition.trigger.param_name!r} (the dev host passes no other parameters)"
        )
    return LoadedFunction(definition, route, main, _body_limit(module), _shutdown_hook(module))


def _body_limit(module: ModuleType) -> int | None:
    limit: object = getattr(module, "max_request_body_bytes", None)
    if limit is None:
        return None
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 0:
        raise FunctionLoadError("max_request_body_bytes must be a non-negative int")
    return limit


def _shutdown_hook(module: ModuleType) -> ShutdownHook | None:
    hook: object = getattr(module, "on_host_shutdown", None)
    if hook is None:
        return None
    if not inspect.iscoroutinefunction(hook):
        raise FunctionLoadError("on_host_shutdown must be an async function")
    return hook


def _import_script(root: Path, definition: FunctionDefinition) -> ModuleType:
    """Import the script as the Python worker does: ``<folder>`` or ``<folder>.<module>``."""
    script = definition.script_file
    if script.suffix != ".py":
        raise FunctionLoadError(f"scriptFile {script.name!r} is not a Python file")
    if not script.is_file():
        raise FunctionLoadError(f"scriptFile {script} not found")
    try:
        relative = script.relative_to(root)
    except ValueError as error:
        raise FunctionLoadError(f"scriptFile {script} is outside the app folder") from error
    parts = (
        relative.parent.parts if relative.name == "__init__.py" else relative.with_suffix("").parts
    )
    module_name = ".".join(parts)
    try:
        module = importlib.import_module(module_name)
    except Exception as error:
        raise FunctionLoadError(f"importing {module_name} failed: {error!r}") from error
    module_file = getattr(module, "__file__", None)
    if module_file is None or Path(module_file).resolve() != script:
        raise FunctionLoadError(
            f"module name {module_name!r} is already taken by {module_file or module!r}"
        )
    return module


def _is_disabled(name: str, environ: MutableMapping[str, str]) -> bool:
    flag = environ.get(f"AzureWebJobs.{name}.Disabled", "")
    return flag.strip().lower() in ("true", "1")


def _read_json(path: Path, error_type: type[Exception]) -> object:
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError as error:
        raise error_type(f"{path} not found") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise error_type(f"{path.name}: {error}") from error
