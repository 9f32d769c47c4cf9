#!/usr/bin/env python
"""Django's command-line utility for Collectiv'Récup."""

import os
import sys
from pathlib import Path


def main() -> None:
    root = Path(__file__).resolve().parent
    # `platform/` is a source folder, not a package: it holds the project package
    # `collectivrecup` and the `accounts` app. A package called `platform` would
    # shadow the standard library module of that name.
    sys.path[:0] = [str(root / "platform"), str(root)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collectivrecup.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
