"""Which build of the engine runs: the mypyc-compiled extensions or the pure-Python modules.

The rule engine and the compliance read model's hot modules (`COMPILED_MODULES`) are compiled in place by
`make install` (tools/build_compiled.py) where a C compiler exists: an extension next to each `.py`, and
`app/_compiled.json`, the hash of every source it was built from. The `.py` files are the reference and the
fallback. `PEER_CE_COMPILED` chooses, once, when `app` is first imported (`install`, from app/__init__.py):

- `auto` (the default): the extensions when they are present and built from the current sources, else pure
  Python (a stale build, e.g. after editing the engine without `make install`, is never loaded);
- `0` / `false`: pure Python even when the extensions exist (a `sys.meta_path` finder loads the `.py`);
- `1` / `true`: the extensions, or `CompiledBuildMissing` (the process does not start).

`engine_build()` says which build is in use, judged from the loaded modules themselves.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Literal

EngineBuild = Literal["mypyc", "python", "mixed"]

# The modules compiled (one mypyc group). The packages' __init__ modules and the SQL builders
# (app.compliance.queries, status, dirty) stay pure Python, and so does app.rules.engine.explain: compiled,
# the reasons (f-strings over the other modules' NamedTuples) took 10-20% more CPU than interpreted
# (bench/engine_micro.py's explain mode; bench/README.md), so only what pays is compiled.
COMPILED_MODULES: tuple[str, ...] = (
    "app.rules.engine.compiled",
    "app.rules.engine.counting",
    "app.rules.engine.cycles",
    "app.rules.engine.dates",
    "app.rules.engine.evaluation",
    "app.rules.engine.hours",
    "app.rules.engine.types",
    "app.compliance.courses",
    "app.compliance.facts",
    "app.compliance.rows",
    "app.compliance.versions",
)
MANIFEST = "app/_compiled.json"  # relative to the project root; written by a successful build
ENV = "PEER_CE_COMPILED"

_APP = Path(__file__).resolve().parent
_ROOT = _APP.parent


class CompiledBuildMissing(RuntimeError):
    """PEER_CE_COMPILED=1, but the compiled build is absent or older than the sources."""


def module_source(name: str) -> Path:
    """The `.py` file of one of the compiled modules."""
    return _ROOT.joinpath(*name.split(".")).with_suffix(".py")


def source_digest(name: str) -> str:
    return hashlib.sha256(module_source(name).read_bytes()).hexdigest()


def requested() -> Literal["auto", "python", "mypyc"]:
    """The build `PEER_CE_COMPILED` asks for."""
    value = os.environ.get(ENV, "auto").strip().lower()
    if value in ("", "auto"):
        return "auto"
    if value in ("0", "false", "no", "off"):
        return "python"
    if value in ("1", "true", "yes", "on"):
        return "mypyc"
    raise CompiledBuildMissing(f"{ENV}={value!r}: expected auto, 0/false (pure Python) or 1/true (compiled)")


def _extension_present(source: Path) -> bool:
    return any(source.with_name(source.stem + suffix).is_file() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def compiled_problem() -> str | None:
    """Why the compiled build cannot be used (None: every extension is present and built from these sources)."""
    manifest = _ROOT / MANIFEST
    if not manifest.is_file():
        return f"the compiled build is absent (no {MANIFEST})"
    try:
        built = json.loads(manifest.read_text())
    except (OSError, ValueError):
        return f"{MANIFEST} is unreadable"
    for name in COMPILED_MODULES:
        source = module_source(name)
        if not _extension_present(source):
            return f"the extension of {name} is absent"
        if built.get(name) != source_digest(name):
            return f"the compiled build is older than {source.relative_to(_ROOT)} (run `make install` to rebuild)"
    if not _extension_present(_APP / "_compiled__mypyc.py"):
        return "the compiled build's shared library (app/_compiled__mypyc.*) is absent"
    return None


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Loads app modules from their `.py` source, ahead of any extension built next to them (those of
    `COMPILED_MODULES`, and any other a build left behind)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("app."):
            return None
        source = module_source(fullname)
        if not source.is_file() or not _extension_present(source):
            return None  # a package, or a module without an extension: the usual finders
        return importlib.util.spec_from_file_location(fullname, source)


_chosen: Literal["python", "mypyc"] | None = None
_reason: str | None = None


def install() -> None:
    """Choose the build (once, before any compiled module is imported): see the module's docstring."""
    global _chosen, _reason
    if _chosen is not None:
        return
    mode = requested()
    problem = None if mode == "python" else compiled_problem()
    if mode == "mypyc" and problem is not None:
        raise CompiledBuildMissing(
            f"{ENV}=1 requires the compiled engine, but {problem}. Build it with `make install` (it needs a C "
            f"compiler and Python's headers), or set {ENV}=auto or 0 to run the pure-Python modules."
        )
    if mode == "python" or problem is not None:
        if not any(isinstance(f, _SourceFinder) for f in sys.meta_path):
            sys.meta_path.insert(0, _SourceFinder())
        _chosen, _reason = "python", (f"{ENV}=0" if mode == "python" else problem)
    else:
        _chosen, _reason = "mypyc", None


def engine_build() -> EngineBuild:
    """Which build the engine runs: "mypyc" when every compiled module is loaded from its extension, "python"
    when none is (never "mixed" unless a build was tampered with)."""
    compiled = [_is_extension(importlib.import_module(name)) for name in COMPILED_MODULES]
    if all(compiled):
        return "mypyc"
    return "mixed" if any(compiled) else "python"


def describe() -> str:
    """One line for the startup log: the build in use, and why pure Python when it is."""
    build = engine_build()
    return f"engine build: {build}" + (f" ({_reason})" if build == "python" and _reason else "")


def _is_extension(module: ModuleType) -> bool:
    spec = module.__spec__
    return spec is not None and isinstance(spec.loader, importlib.machinery.ExtensionFileLoader)
