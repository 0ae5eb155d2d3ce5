"""``python -m console`` is the same as ``escalation-console``."""

import sys

from console.cli import main

sys.exit(main())
