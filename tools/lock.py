"""Re-pin requirements.lock and requirements-test.lock from pyproject.toml.

Resolves the direct dependencies in a scratch virtual environment, so the
locks hold the whole tree at exact versions: what `make build` installs on a
fresh clone is what was tested.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def freeze(python: Path) -> list[str]:
    out = subprocess.run([python, "-m", "pip", "freeze"], check=True, capture_output=True, text=True).stdout
    return sorted((line for line in out.splitlines() if line and not line.startswith("#")), key=str.lower)


def main() -> int:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with tempfile.TemporaryDirectory() as scratch:
        venv.create(scratch, with_pip=True)
        python = Path(scratch) / "bin" / "python"
        pip = [python, "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, *project["dependencies"]], check=True)
        runtime = freeze(python)
        subprocess.run([*pip, *project["optional-dependencies"]["test"]], check=True)
        test_only = [line for line in freeze(python) if line not in runtime]
    (ROOT / "requirements.lock").write_text(
        "# Runtime dependencies, pinned. Regenerate with: .venv/bin/invoke lock\n" + "\n".join(runtime) + "\n"
    )
    (ROOT / "requirements-test.lock").write_text(
        "# Test dependencies, pinned (installed on top of requirements.lock).\n" + "\n".join(test_only) + "\n"
    )
    print("wrote requirements.lock and requirements-test.lock")
    return 0


if __name__ == "__main__":
    sys.exit(main())
