"""The functions' ``on_host_shutdown`` hooks, awaited once each when the dev host stops.

A hook shared by several function modules (``from shared.app import on_host_shutdown``) runs
once. The hooks run together under one timeout; a failure is logged as one line (the hook and
the exception), never with a traceback, and does not stop the others.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable

from devtools.functions_app import LoadedFunction, ShutdownHook

logger = logging.getLogger("devtools.host")


async def run_shutdown_hooks(functions: Iterable[LoadedFunction], time_limit: float) -> None:
    hooks = list(
        dict.fromkeys(f.on_host_shutdown for f in functions if f.on_host_shutdown is not None)
    )
    if not hooks:
        return
    try:
        async with asyncio.timeout(time_limit):
            await asyncio.gather(*(_run(hook) for hook in hooks))
    except TimeoutError:
        logger.error("on_host_shutdown hooks did not finish within %s s", time_limit)


async def _run(hook: ShutdownHook) -> None:
    try:
        await hook()
    except Exception as error:
        logger.error("%s failed: %s: %s", _name(hook), type(error).__name__, error)


def _name(hook: ShutdownHook) -> str:
    module = getattr(hook, "__module__", "?")
    return f"{module}.{getattr(hook, '__qualname__', repr(hook))}"
