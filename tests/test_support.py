"""The test helpers themselves (tests/support.py): what the rest of the suite relies on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from support import DEMO_ARGS, ROOT, cached_region, demo_region


def _pytest(tmp_path, env_extra: dict) -> subprocess.CompletedProcess:
    test = tmp_path / "test_needs_reference.py"
    test.write_text(textwrap.dedent(f"""
        from pathlib import Path
        from support import needs_shared

        @needs_shared(Path({str(tmp_path / "no-such-folder")!r}), "reference files")
        def test_reads_reference(tmp_path):
            assert tmp_path.is_dir()
    """))
    # not CI, and nothing of the outer run (pytest-xdist worker, PYTEST_ADDOPTS)
    env = {k: v for k, v in os.environ.items() if k != "CI" and not k.startswith("PYTEST_")}
    env.update(env_extra, PYTHONPATH=str(ROOT / "tests"))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p", "no:randomly",
                           "--rootdir", str(tmp_path), str(test)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_reference_tests_fail_under_ci_and_skip_loudly_locally_when_shared_is_missing(tmp_path):
    ci = _pytest(tmp_path, {"CI": "true"})
    assert ci.returncode == 1 and "1 failed" in ci.stdout, ci.stdout[-2000:]
    assert "reference files" in ci.stdout and "no-such-folder is missing" in ci.stdout
    local = _pytest(tmp_path, {})
    assert local.returncode == 0 and "1 skipped" in local.stdout, local.stdout[-2000:]
    assert "SKIPPED" in local.stdout and "no-such-folder is missing" in local.stdout  # the reason in the summary


def test_a_demo_region_is_generated_once_and_every_test_gets_its_own_copy(pipeline_run, tmp_path):
    cached = cached_region(DEMO_ARGS)  # the session run's region: generated already, not again
    assert cached == cached_region(DEMO_ARGS)
    assert json.loads((cached / "demo_args.json").read_text()) == DEMO_ARGS
    manifest = demo_region(tmp_path / "landing", DEMO_ARGS)
    assert manifest == pipeline_run.manifest
    assert not (tmp_path / "landing" / "demo_args.json").exists()
    first = tmp_path / "landing" / manifest["files"][0]["path"]
    before = (cached / manifest["files"][0]["path"]).read_bytes()
    first.write_bytes(b"changed by a test")
    assert (cached / manifest["files"][0]["path"]).read_bytes() == before, "a copy, not the cache itself"
