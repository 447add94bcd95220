"""Writing generated files, or checking them: the command line of ``devtools.functions`` and ``devtools.docs``."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path


def generator_main(
    argv: Sequence[str] | None,
    *,
    prog: str,
    description: str | None,
    root: Path,
    expected: Callable[[], Mapping[Path, str]],
    stale: Callable[[Mapping[Path, str]], Sequence[str]],
) -> int:
    """``prog [--check]``: write (or check) the ``expected`` files; print what ``stale`` reports."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if a file is out of date; write nothing"
    )
    args = parser.parse_args(argv)
    files = expected()
    problems = stale(files)
    for problem in problems:
        print(problem)
    return _sync(files, check=args.check, root=root, command=prog, stale=problems)


def _sync(
    expected: Mapping[Path, str],
    *,
    check: bool,
    root: Path,
    command: str,
    stale: Sequence[str] = (),
) -> int:
    """Write each of ``expected`` whose text differs (``check``: only report it); the exit code.

    1 when ``check`` finds a file out of date, or when there is a ``stale`` entry (something
    the generator no longer makes, which it leaves for a person to remove); else 0.
    """
    outdated = [
        path
        for path, text in expected.items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]
    if check:
        for path in outdated:
            print(f"{_shown(path, root)} is out of date: run {command}")
        return 1 if outdated or stale else 0
    for path in outdated:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(expected[path], encoding="utf-8")
        print(f"wrote {_shown(path, root)}")
    return 1 if stale else 0


def _shown(path: Path, root: Path) -> str:
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
