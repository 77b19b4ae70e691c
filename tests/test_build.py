"""The compiled extension imports and matches the package metadata."""

import tomllib
from pathlib import Path

import kfeed
from kfeed import _kfeed

ROOT = Path(__file__).resolve().parents[1]


def test_extension_version_matches_cargo_and_pyproject():
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())["package"]["version"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert _kfeed.__version__ == cargo == project == kfeed.__version__


def test_extension_is_a_compiled_module():
    assert Path(_kfeed.__file__).suffix in {".so", ".pyd"}
