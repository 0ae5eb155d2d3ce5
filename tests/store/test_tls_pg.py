"""TLS to the shared database: ``connect --sslmode verify-full --ca-file`` against a real
PostgreSQL with ``ssl=on`` and a certificate this module makes (issued for
``localhost``), and the clear words for a wrong CA, a wrong host name, a server
without TLS and a CA file that is not there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.pgcluster import ExternalPg, PgCluster, find_bin_dir
from console.cli import main
from console.domain.matrix.model import Matrix
from console.store.local import LocalStore
from console.store.server import SharedDatabase, parse_url

from .helpers import open_ticket
from .tls import Authority, TlsCluster


class Tls:
    """The module's TLS server, its CA file and another CA's."""

    def __init__(self, cluster: TlsCluster, ca: Path, other_ca: Path) -> None:
        self.cluster, self.ca, self.other_ca = cluster, ca, other_ca
        self.db = cluster.create_database().rsplit("/", 1)[1].split("?")[0]

    def url(self, host: str = "localhost") -> str:
        return f"postgresql://postgres@{host}:{self.cluster.port}/{self.db}"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tls]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not available: no initdb/pg_ctl")
    authority = Authority("Escalation Console test CA")
    cluster = TlsCluster(bin_dir, *authority.server_cert(["localhost"]))
    try:
        cluster.init().start()
        folder = tmp_path_factory.mktemp("tls")
        yield Tls(cluster, authority.write_ca(folder / "ca.pem"),
                  Authority("Somebody else's CA").write_ca(folder / "other-ca.pem"))
    finally:
        cluster.remove()


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private keyring file and no $PGPASSWORD; returns a data dir."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("PGPASSWORD", raising=False)
    return tmp_path / "data"


def _stored_url(data_dir: Path) -> str | None:
    path = data_dir / "settings.json"
    return json.loads(path.read_text()).get("shared_db_url") if path.exists() else None


@pytest.mark.postgres
def test_verify_full_with_the_right_ca_connects_stores_the_tls_url_and_syncs(
        tls: Tls, cli_env: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], matrix: Matrix) -> None:
    monkeypatch.chdir(tls.ca.parent)  # a relative --ca-file is stored absolute
    assert main(["--data-dir", str(cli_env), "connect", tls.url(), "--sslmode", "verify-full",
                 "--ca-file", tls.ca.name]) == 0
    assert capsys.readouterr().out.startswith("connected to PostgreSQL ")
    stored = _stored_url(cli_env)
    assert stored is not None
    assert dict(parse_url(stored).query) == {"sslmode": "verify-full",
                                             "sslrootcert": str(tls.ca)}
    db = SharedDatabase(stored)
    try:
        encrypted = db.transaction("checking TLS on", lambda c: c.execute(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone())
    finally:
        db.close()
    assert encrypted == (True,)

    with LocalStore(cli_env, matrix) as store:
        open_ticket(store, "T-1")
    assert main(["--data-dir", str(cli_env), "sync", "--once"]) == 0
    assert capsys.readouterr().out.strip() == "pushed 1, pulled 0"
    other = tmp_path / "other"  # a second console, --ca-file alone means verify-full
    assert main(["--data-dir", str(other), "connect", tls.url(), "--ca-file", str(tls.ca)]) == 0
    assert _stored_url(other) == stored
    assert main(["--data-dir", str(other), "sync", "--once"]) == 0
    assert capsys.readouterr().out.strip().endswith("pushed 0, pulled 1")
    with LocalStore(other, matrix) as store:
        assert store.ticket("T-1") is not None


@pytest.mark.postgres
def test_a_wrong_ca_is_refused_with_the_ca_file_named(
        tls: Tls, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(cli_env), "connect", tls.url(), "--sslmode", "verify-full",
                 "--ca-file", str(tls.other_ca)]) == 1
    err = capsys.readouterr().err
    assert f"the server's certificate is not signed by the CA in {tls.other_ca}" in err
    assert "SSL error" not in err
    assert _stored_url(cli_env) is None


@pytest.mark.postgres
def test_a_host_name_the_certificate_does_not_hold_is_refused_naming_both(
        tls: Tls, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(cli_env), "connect", tls.url("127.0.0.1"),
                 "--sslmode", "verify-full", "--ca-file", str(tls.ca)]) == 1
    err = capsys.readouterr().err
    assert "the server's certificate is for localhost" in err
    assert "not 127.0.0.1; connect by a host name the certificate holds" in err
    assert _stored_url(cli_env) is None


@pytest.mark.postgres
def test_verify_full_against_a_server_without_tls_says_the_server_does_not_offer_it(
        pg_server: PgCluster | ExternalPg, tls: Tls, cli_env: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    url = f"postgresql://postgres@localhost:{pg_server.port}/postgres"
    assert main(["--data-dir", str(cli_env), "connect", url, "--sslmode", "verify-full",
                 "--ca-file", str(tls.ca)]) == 1
    assert ("the server does not accept TLS connections and sslmode=verify-full requires TLS"
            in capsys.readouterr().err)


@pytest.mark.postgres
def test_a_tls_only_server_asked_without_tls_says_how_to_connect(
        tls: Tls, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(cli_env), "connect", tls.url(), "--sslmode", "disable"]) == 1
    assert ("the server accepts only TLS connections; connect with --sslmode verify-full "
            "--ca-file FILE" in capsys.readouterr().err)


def test_a_missing_ca_file_or_unknown_sslmode_is_refused_before_connecting(
        tmp_path: Path, cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql://u@127.0.0.1:1/db"
    assert main(["--data-dir", str(cli_env), "connect", url,
                 "--ca-file", str(tmp_path / "nope.pem")]) == 1
    assert f"the CA file {tmp_path / 'nope.pem'} does not exist" in capsys.readouterr().err
    assert main(["--data-dir", str(cli_env), "connect", url, "--ca-file", str(tmp_path)]) == 1
    assert f"the CA file {tmp_path} is not a file" in capsys.readouterr().err
    assert main(["--data-dir", str(cli_env), "connect", url, "--sslmode", "verify-all"]) == 1
    assert "sslmode 'verify-all' is not one of disable, allow" in capsys.readouterr().err
    assert _stored_url(cli_env) is None
