"""Where this console keeps its local store and settings."""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "ESCALATION_CONSOLE_DATA_DIR"


def resolve_data_dir(cli_value: str | None = None) -> Path:
    """``--data-dir`` wins, then $ESCALATION_CONSOLE_DATA_DIR, then the user data dir."""
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser().resolve()
    import platformdirs

    return Path(platformdirs.user_data_dir("escalation-console", appauthor=False))
