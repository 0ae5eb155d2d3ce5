"""A console started without $USER (a kiosk, a systemd unit) signs events with its login."""

import os
import pwd

import pytest

from console.app.identity import current_user
from console.app.usecases.demo import default_user


@pytest.mark.parametrize("variable", ["LOGNAME", "USER", "LNAME", "USERNAME"])
def test_the_author_is_the_login_when_no_user_variable_is_set(monkeypatch, variable):
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    login = pwd.getpwuid(os.getuid()).pw_name
    assert current_user() == login
    assert default_user() == login
    monkeypatch.setenv(variable, "dana")
    assert current_user() == "dana" == default_user()
