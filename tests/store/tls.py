"""A throwaway PostgreSQL cluster that speaks TLS only, with certificates made here.

``Authority`` is a certificate authority of the test's own (``cryptography``): it signs a
server certificate for the names given. ``TlsCluster`` is ``benchmarks.pgcluster``'s
cluster started with ``ssl=on`` and that certificate, refusing connections without TLS.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from benchmarks.pgcluster import PgCluster


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


class Authority:
    """A CA: its certificate as PEM (``write_ca``) and server certificates it signs."""

    def __init__(self, common_name: str) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder().subject_name(_name(common_name))
            .issuer_name(_name(common_name)).public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=2))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.key, hashes.SHA256()))

    def write_ca(self, path: Path) -> Path:
        path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        return path

    def server_cert(self, names: list[str]) -> tuple[bytes, bytes]:
        """(certificate PEM, private key PEM) for a server known by ``names`` (DNS
        names, or IP addresses)."""
        key = ec.generate_private_key(ec.SECP256R1())
        sans: list[x509.GeneralName] = []
        for name in names:
            try:
                sans.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                sans.append(x509.DNSName(name))
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder().subject_name(_name(names[0]))
            .issuer_name(self.cert.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(hours=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .sign(self.key, hashes.SHA256()))
        key_pem = key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        return cert.public_bytes(serialization.Encoding.PEM), key_pem


class TlsCluster(PgCluster):
    """A cluster with ``ssl=on`` serving ``cert_pem``; connections without TLS are
    rejected (``hostnossl ... reject`` before the trust rules)."""

    def __init__(self, bin_dir: Path, cert_pem: bytes, key_pem: bytes) -> None:
        super().__init__(bin_dir)
        self.admin_url += "?sslmode=require"  # the admin connection needs no verification
        self.cert_file, self.key_file = self.base / "server.crt", self.base / "server.key"
        self.cert_file.write_bytes(cert_pem)
        # PostgreSQL refuses a key file that others may read, or that it does not own.
        fd = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(key_pem)
        if self._owner is not None:
            for path in (self.cert_file, self.key_file):
                os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def _options(self) -> str:
        return (super()._options() + f" -c ssl=on -c ssl_cert_file={self.cert_file}"
                f" -c ssl_key_file={self.key_file}")

    def start(self) -> None:
        hba = self.data / "pg_hba.conf"
        hba.write_text("hostnossl all all all reject\n" + hba.read_text())
        super().start()
