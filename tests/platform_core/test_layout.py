"""`platform/` is a source folder, never a package: it must not shadow the stdlib."""

import importlib
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_platform_folder_has_no_init_file():
    assert (ROOT / "platform").is_dir()
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_module_wins_even_from_the_repository_root():
    code = ("import platform, uuid, celery, stripe, sentry_sdk; "
            "print(platform.__file__); print(platform.python_version())")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, check=True,
                            env={"PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}", "PATH": ""})
    module_file, version = result.stdout.split()
    assert not module_file.startswith(str(ROOT))
    assert version == platform.python_version()


def test_project_packages_import_from_the_platform_folder():
    module = importlib.import_module("collectivrecup.settings.base")
    assert Path(module.__file__).is_relative_to(ROOT / "platform")
