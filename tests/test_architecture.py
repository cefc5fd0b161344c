"""Import boundaries (the contracts in pyproject.toml, ``[tool.importlinter]``), checked by import-linter:
the dashboards never import Dagster or the pipeline's Dagster code, their formatting and page summaries are
pure (no snapshot, DuckDB or Streamlit), the pages do not import each other, the dashboards import from
hbh_monitor only its published API, the product never imports the demo generator (package ``hbh_demo``
beside it), and the generator's modules import each other without a cycle."""

from __future__ import annotations

import os
import subprocess

from support import BIN, ROOT


def lint_imports(root=ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "pipelines"), str(root / "demo"), str(root)])}
    return subprocess.run([str(BIN / "lint-imports"), "--no-cache"], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)


def test_import_contracts_are_kept():
    proc = lint_imports()
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "0 broken" in proc.stdout and "6 kept" in proc.stdout, proc.stdout[-2000:]


def test_a_forbidden_import_breaks_the_contracts(tmp_path):
    """The same contracts on a copy of the code with one forbidden import planted for each."""
    import shutil

    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for d in ("pipelines", "dashboards", "demo"):
        shutil.copytree(ROOT / d, tmp_path / d, ignore=ignore)
    shutil.copyfile(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "dashboards" / "app.py").open("a") as f:
        f.write("\nfrom hbh_monitor.defs import resources  # planted\n")
    with (tmp_path / "dashboards" / "formatting.py").open("a") as f:  # formatting that queries the snapshot
        f.write("\nfrom dashboards import snapshot  # planted\n")
    with (tmp_path / "dashboards" / "views" / "overzicht.py").open("a") as f:
        f.write("\nfrom dashboards.views import wijken  # planted\n")
    with (tmp_path / "dashboards" / "exports.py").open("a") as f:  # a pipeline internal, not the published API
        f.write("\nfrom hbh_monitor import ingest  # planted\n")
    with (tmp_path / "pipelines" / "hbh_monitor" / "publish.py").open("a") as f:
        f.write("\nfrom hbh_demo import generator  # planted\n")
    with (tmp_path / "demo" / "hbh_demo" / "dates.py").open("a") as f:  # a cycle: dates <-> generator
        f.write("\nfrom hbh_demo import generator  # planted\n")
    proc = lint_imports(tmp_path)
    assert proc.returncode != 0 and "6 broken" in proc.stdout, proc.stdout[-3000:]
    assert "dashboards.app -> hbh_monitor.defs" in proc.stdout
    assert "dashboards.formatting -> dashboards.snapshot" in proc.stdout
    assert "dashboards.views.overzicht -> dashboards.views.wijken" in proc.stdout
    assert "dashboards.exports -> hbh_monitor.ingest" in proc.stdout
    assert "hbh_monitor.publish -> hbh_demo" in proc.stdout
    assert "- .dates -> .generator" in proc.stdout.split("without a cycle")[-1], proc.stdout[-3000:]
