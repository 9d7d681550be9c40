"""The HTTPS and basic-authentication settings against a real TLS endpoint in front of the
real node. The session's node has no security plugin (Maven Central has none to run), so a
small TLS-terminating proxy that demands a user and password stands where the security plugin
would: what is tested is the client side the service controls (the CA bundle, certificate
verification, the Authorization header), over a real handshake."""

from __future__ import annotations

import base64
import datetime
import http.client
import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from opensearchpy.exceptions import AuthenticationException
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError

from alac_search.engines import opensearch_dsl as dsl
from alac_search.engines.opensearch import Connection, OpenSearchEngine

from .test_engine_behaviour import doc, found

pytestmark = pytest.mark.opensearch

USER, PASSWORD = "alac_search", "correct horse battery staple"


def _certificate(subject: str, key, issuer=None, issuer_key=None, *, ca: bool):  # type: ignore[no-untyped-def]
    now = datetime.datetime.now(datetime.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),  # fmt: skip
            critical=True,
        )
    else:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    return builder.sign(issuer_key or key, hashes.SHA256())


def _pem(path: Path, *objects) -> Path:  # type: ignore[no-untyped-def]
    parts = []
    for obj in objects:
        if isinstance(obj, x509.Certificate):
            parts.append(obj.public_bytes(serialization.Encoding.PEM))
        else:
            parts.append(obj.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    path.write_bytes(b"".join(parts))
    return path


@pytest.fixture
def secured(tmp_path: Path, opensearch_url: str) -> Iterator[tuple[str, Path]]:
    """https://127.0.0.1:<port> with a certificate from a throwaway CA and basic auth; the CA
    bundle's path."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = _certificate("alac test CA", ca_key, ca=True)
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate("127.0.0.1", key, ca_cert.subject, ca_key, ca=False)
    ca_pem = _pem(tmp_path / "ca.pem", ca_cert)
    server_pem = _pem(tmp_path / "server.pem", cert, key)
    upstream = urlsplit(opensearch_url)
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()

    class Proxy(BaseHTTPRequestHandler):
        def _forward(self) -> None:
            if self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="OpenSearch"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            headers = {k: v for k, v in self.headers.items() if k.lower() == "content-type"}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            answer = conn.getresponse()
            payload = answer.read()
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            conn.close()

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward  # noqa: N815

        def log_message(self, *args) -> None:  # type: ignore[no-untyped-def]
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_pem)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", ca_pem
    finally:
        server.shutdown()
        server.server_close()


def test_https_with_a_ca_bundle_and_basic_authentication(secured, tmp_path: Path):
    url, ca = secured
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n")
    connection = Connection.from_env({
        "ALAC_OPENSEARCH_URL": url,
        "ALAC_OPENSEARCH_USER": USER,
        "ALAC_OPENSEARCH_PASSWORD_FILE": str(secret),
        "ALAC_OPENSEARCH_CA_BUNDLE": str(ca),
    })  # fmt: skip
    name = f"tls-{id(connection):x}"
    engine = OpenSearchEngine(connection, index=f"{dsl.INDEX_PREFIX}-test-{name}",
                              owners=f"{dsl.OWNERS_INDEX}-test-{name}", refresh=True)  # fmt: skip
    try:
        engine.client.indices.put_index_template(name=dsl.INDEX_PREFIX, body=dsl.index_template())
        engine.client.indices.create(index=engine.index)
        engine.ping()
        assert engine.apply("tk", "c1", 1, doc("взятка через TLS"))
        assert found(engine, "tk", "взятки") == ["c1"]
    finally:
        engine.client.indices.delete(index=f"{engine.index},{engine.owners}")
        engine.close()


def test_a_wrong_password_or_an_unknown_ca_is_refused(secured):
    url, ca = secured
    wrong = Connection(url, user=USER, password="guess", ca_bundle=str(ca)).client()
    with pytest.raises(AuthenticationException):
        wrong.info()
    anonymous = Connection(url, ca_bundle=str(ca)).client()
    with pytest.raises(AuthenticationException):
        anonymous.info()
    # Without our CA bundle the system's CAs do not know the certificate: the handshake fails.
    untrusted = Connection(url, user=USER, password=PASSWORD).client()
    with pytest.raises(OpenSearchConnectionError):
        untrusted.info()
    # verify=false (ALAC_OPENSEARCH_VERIFY=false) skips the check: for a test cluster only.
    unchecked = Connection(url, user=USER, password=PASSWORD, verify=False).client()
    assert unchecked.info()["version"]["distribution"] == "opensearch"
