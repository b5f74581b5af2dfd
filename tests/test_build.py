"""The engine's build (app/build.py): PEER_CE_COMPILED chooses, a stale or absent build is never loaded,
and `engine_build()` says which runs."""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from app import build

ROOT = Path(__file__).resolve().parents[1]
SO = importlib.machinery.EXTENSION_SUFFIXES[0]


def _fresh_build_module(root: Path, modules: tuple[str, ...]) -> ModuleType:
    """app/build.py loaded anew (not `app.build`, whose choice is made), looking at a project under `root`."""
    spec = importlib.util.spec_from_file_location("build_under_test", ROOT / "app" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module._ROOT, module._APP, module.COMPILED_MODULES = root, root / "app", modules
    return module


def _project(tmp_path: Path) -> Path:
    """A project with one compiled module, its extension, the shared library and a manifest of its source."""
    engine = tmp_path / "app" / "engine"
    engine.mkdir(parents=True)
    (engine / "x.py").write_text("X = 1\n")
    (engine / f"x{SO}").write_bytes(b"")
    (tmp_path / "app" / f"_compiled__mypyc{SO}").write_bytes(b"")
    digest = hashlib.sha256(b"X = 1\n").hexdigest()
    (tmp_path / "app" / "_compiled.json").write_text(json.dumps({"app.engine.x": digest}))
    return tmp_path


def test_a_build_of_the_current_sources_is_used_and_a_stale_or_partial_one_is_not(tmp_path):
    b = _fresh_build_module(_project(tmp_path), ("app.engine.x",))
    assert b.compiled_problem() is None
    (tmp_path / "app" / "engine" / "x.py").write_text("X = 2\n")  # edited without rebuilding
    assert "older than app/engine/x.py" in b.compiled_problem()
    (tmp_path / "app" / "engine" / "x.py").write_text("X = 1\n")
    (tmp_path / "app" / "engine" / f"x{SO}").unlink()
    assert "extension of app.engine.x is absent" in b.compiled_problem()
    (tmp_path / "app" / "_compiled.json").unlink()
    assert "absent" in b.compiled_problem()


def test_requiring_the_compiled_build_where_it_is_absent_refuses_to_start(tmp_path, monkeypatch):
    b = _fresh_build_module(tmp_path, ("app.engine.x",))
    monkeypatch.setenv("PEER_CE_COMPILED", "1")
    with pytest.raises(b.CompiledBuildMissing, match=r"PEER_CE_COMPILED=1 requires the compiled engine.*make install"):
        b.install()
    monkeypatch.setenv("PEER_CE_COMPILED", "sometimes")
    with pytest.raises(b.CompiledBuildMissing, match="expected auto, 0/false"):
        b.requested()


@pytest.mark.parametrize("value", ["0", "false"])
def test_pure_python_can_be_forced_even_where_the_build_exists(value):
    env = {**os.environ, "PEER_CE_COMPILED": value}
    code = "from app.build import engine_build; from app.rules.engine import evaluation; print(engine_build())"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "python"


def test_the_default_uses_the_build_when_present_and_current():
    env = {k: v for k, v in os.environ.items() if k != "PEER_CE_COMPILED"}
    code = "from app.build import engine_build; print(engine_build())"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ("mypyc" if build.compiled_problem() is None else "python")
