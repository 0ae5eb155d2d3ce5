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


def test_a_console_with_a_shared_database_signs_as_its_database_login(tmp_path, monkeypatch):
    from console.app.identity import console_author
    from console.app.settings import Settings

    monkeypatch.setenv("LOGNAME", "dana")
    assert console_author(tmp_path) == "dana"  # no shared database: the OS login
    Settings(tmp_path).shared_db_url = "postgresql://alice:secret@db.example:5432/escalations"
    assert console_author(tmp_path) == "alice"
    Settings(tmp_path).shared_db_url = "postgresql://db.example/escalations?user=bob"
    assert console_author(tmp_path) == "bob"
    Settings(tmp_path).shared_db_url = "postgresql://db.example/escalations"
    assert console_author(tmp_path) == "dana"  # libpq connects as the OS login
