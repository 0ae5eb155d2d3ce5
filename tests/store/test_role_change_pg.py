"""A person's console learns a change of their role (or matrix roles) while it runs: the
admin's ``people grant``/``revoke`` ends the person's sessions, so each console of
theirs reconnects and asks the server again who they are (``on_person``). Without it a
lead demoted while connected kept an editable flowchart until the console restarted."""

from __future__ import annotations

import threading

import pytest
from people_logins import login, login_name

from console.domain.people import Person
from console.store.people import grant, revoke
from console.store.server import SharedDatabase
from console.store.sync import Syncer

from .helpers import wait_until

pytestmark = pytest.mark.postgres


def test_a_role_change_reaches_the_persons_running_console(pg, open_store):
    leo = login_name(pg, "leo")
    url = login(pg, "leo", "lead", matrix_roles=("t2_manager",))
    admin = SharedDatabase(login(pg, "ada", "admin"))
    seen: list[Person | None] = []
    # a 30 s safety poll: only the ended session can make it ask again in time
    syncer = Syncer(open_store("leo"), url, backoff_initial=0.05, backoff_max=0.5,
                    poll_interval=30, on_person=seen.append)
    stop = threading.Event()
    thread = threading.Thread(target=syncer.run, args=(stop,), daemon=True)
    thread.start()
    try:
        wait_until(lambda: bool(seen) and syncer.state.status == "online", 10)
        assert seen[-1] is not None and seen[-1].role == "lead"
        grant(admin, leo, role="agent")  # demoted while the console is connected
        wait_until(lambda: seen[-1] is not None and seen[-1].role == "agent", 5)
        revoke(admin, leo, ["t2_manager"])  # a matrix role taken: the approval form
        wait_until(lambda: seen[-1] is not None and seen[-1].matrix_roles == (), 5)
        grant(admin, leo, role="lead")  # and promoted back
        wait_until(lambda: seen[-1] is not None and seen[-1].role == "lead", 5)
        assert syncer.state.last_error == "" or syncer.state.status == "online"
    finally:
        stop.set()
        thread.join(10)
        syncer.close()
        admin.close()
