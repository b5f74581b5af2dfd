"""The compiled build (mypyc) and the pure-Python modules give byte-identical compliance documents.

One subprocess per build (`PEER_CE_COMPILED=0`, then `=1`) renders the documents of the same seeded generated
certifications over every shipped rule set (tests/support/compliance_documents.py); the bytes must be equal.
Skipped only where the compiled build is absent (no C compiler at install); CI runs with PEER_CE_COMPILED=1,
where an absent build fails instead (.ci/run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import build

ROOT = Path(__file__).resolve().parents[2]


def _documents(compiled: str, out: Path) -> tuple[str, list[bytes]]:
    env = {**os.environ, build.ENV: compiled}
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.compliance_documents", str(out), "--certs", "500"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip(), out.read_bytes().split(b"\n")


def test_both_builds_render_byte_identical_compliance_documents(tmp_path):
    problem = build.compiled_problem()
    if problem is not None:
        if build.requested() == "mypyc":
            pytest.fail(f"{build.ENV}=1 but {problem}")
        pytest.skip(f"only the pure-Python build can run here: {problem}")
    python_build, python = _documents("0", tmp_path / "python.jsonl")
    compiled_build, compiled = _documents("1", tmp_path / "mypyc.jsonl")
    assert (python_build, compiled_build) == ("python", "mypyc")
    assert len(python) == len(compiled) > 1000
    differing = [i for i, (a, b) in enumerate(zip(python, compiled, strict=True)) if a != b]
    assert not differing, (len(differing), python[differing[0]], compiled[differing[0]]) if differing else None
    assert b"".join(python) == b"".join(compiled)
