"""Compile the typed engine and the compliance read model with mypyc, in place (`make install` runs it).

The same annotated source: each listed module gets a C extension next to its `.py` (one shared library,
`app/_compiled__mypyc*.so`, holds the code; a small extension per module imports it), and
`app/_compiled.json` records the hash of every source it was built from. `app.build` loads the extensions
only when that record matches the sources (`PEER_CE_COMPILED`); the `.py` files stay the reference and
the fallback.

    python tools/build_compiled.py          # build (exit status 0 on success, 1 on failure)
    python tools/build_compiled.py --clean  # remove every extension and the record (pure Python)

Without a C compiler or Python's headers it builds nothing, says so and exits with status 2.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import sys
import sysconfig
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _load_build() -> ModuleType:
    """app/build.py, loaded by path: importing `app` would already choose a build (and PEER_CE_COMPILED=1
    would refuse to start before this script builds it)."""
    spec = importlib.util.spec_from_file_location("peer_ce_build", ROOT / "app" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_build = _load_build()
COMPILED_MODULES: tuple[str, ...] = _build.COMPILED_MODULES
MANIFEST: str = _build.MANIFEST
module_source = _build.module_source
source_digest = _build.source_digest

BUILD_DIR = ROOT / "build" / "mypyc"
GROUP = "app._compiled"  # the shared library: app/_compiled__mypyc.<abi>.so


def extensions() -> list[Path]:
    """Every extension file under app/ (the app has no C extension but these: a module dropped from the list
    must not leave its extension behind)."""
    return [p for p in (ROOT / "app").rglob("*") if p.suffix in (".so", ".pyd") and p.is_file()]


def clean() -> None:
    for path in extensions():
        path.unlink()
    (ROOT / MANIFEST).unlink(missing_ok=True)


def compiler_missing() -> str | None:
    """Why no extension can be built here (None: a C compiler and Python's headers are present)."""
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        return f"no Python headers ({headers} is missing; e.g. apt-get install python3-dev)"
    cc = (os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(cc) is None:
        return f"no C compiler ({cc!r} not found; e.g. apt-get install gcc)"
    return None


def build() -> int:
    clean()  # never leave extensions of older sources behind, even when this build fails
    missing = compiler_missing()
    if missing:
        print(f"peer-ce: engine build: python ({missing})")
        return 2
    try:
        from mypyc.build import mypycify
        from setuptools import setup
    except ImportError as exc:
        print(f"peer-ce: engine build: python (mypyc or setuptools missing: {exc})")
        return 2
    os.chdir(ROOT)
    sources = [str(module_source(name).relative_to(ROOT)) for name in COMPILED_MODULES]
    digests = {name: source_digest(name) for name in COMPILED_MODULES}
    try:
        setup(
            name="peer-ce-compiled",
            ext_modules=mypycify(sources, group_name=GROUP, target_dir=str(BUILD_DIR / "c")),
            script_args=["--quiet", "build_ext", "--inplace", "--build-temp", str(BUILD_DIR / "temp")],
        )
    except (SystemExit, Exception) as exc:  # a type error, a compiler error: the pure modules stay in use
        clean()
        print(f"peer-ce: engine build: python (the mypyc build failed: {exc})")
        return 1
    (ROOT / MANIFEST).write_text(json.dumps(digests, indent=1, sort_keys=True) + "\n")
    print(f"peer-ce: engine build: mypyc ({len(COMPILED_MODULES)} modules compiled in place)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--clean"]:
        clean()
        sys.exit(0)
    sys.exit(build())
