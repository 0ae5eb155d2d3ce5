"""Build hook that ships the top-level resources/ and matrices/ inside the wheel.

Both folders stay at the top of the repository (see DESIGN.md). A wheel carries them
as console/_data/resources and console/_data/matrices; console/paths.py looks in the
checkout first and in the package second. All metadata lives in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
DATA_DIRS = ("resources", "matrices")


class BuildPyWithData(build_py):
    """build_py that also copies the data folders into build_lib/console/_data."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout directly
        target = Path(self.build_lib, "console", "_data")
        for name in DATA_DIRS:
            source = HERE / name
            if not source.is_dir():
                # A wheel without its matrices or icons would install but not run.
                raise SystemExit(f"setup.py: {source} is missing; build from a full checkout")
            destination = target / name
            shutil.rmtree(destination, ignore_errors=True)
            shutil.copytree(
                source, destination, ignore=shutil.ignore_patterns(".*", "__pycache__", "*.pyc")
            )


setup(cmdclass={"build_py": BuildPyWithData})
