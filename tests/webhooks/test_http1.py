"""The webhook HTTP/1.1 client against real servers on loopback: keep-alive, chunked and close-delimited bodies,
the first bytes only, stale connections, garbage, and TLS verified against a name while connecting to an address."""

from __future__ import annotations

import asyncio
import datetime as dt
import ssl
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.webhooks.http1 import Client, ProtocolError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.lower().split(b"\r\n")
    length = next(int(line.split(b":")[1]) for line in lines if line.startswith(b"content-length"))
    return head + await reader.readexactly(length)


def serve(handler: Handler, ssl_context: ssl.SSLContext | None = None) -> Callable[..., Awaitable[object]]:
    """Run `scenario(client, port, connections)` against a server on 127.0.0.1 answering with `handler`."""

    async def run(scenario: Callable[..., Awaitable[object]], client: Client | None = None) -> object:
        connections: list[int] = []

        async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            connections.append(1)
            try:
                await handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(counted, "127.0.0.1", 0, ssl=ssl_context)
        port = server.sockets[0].getsockname()[1]
        client = client or Client()
        try:
            return await scenario(client, port, connections)
        finally:
            await client.aclose()
            server.close()

    return run


async def keep_alive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await read_request(reader)
        writer.write(OK)
        await writer.drain()


def post(client: Client, port: int, body: bytes = b"{}", keep: int = 4096, name: str | None = None):
    return client.post("127.0.0.1", port, name, "/hook?x=1", {"host": f"hooks.test:{port}"}, body, keep)


def test_connections_are_kept_alive_between_posts() -> None:
    async def scenario(client: Client, port: int, connections: list[int]) -> tuple[list[int], list[bytes], int]:
        answers = [await post(client, port) for _ in range(3)]
        return [a.status for a in answers], [bytes(a.body) for a in answers], len(connections)

    assert asyncio.run(serve(keep_alive)(scenario)) == ([200] * 3, [b"ok"] * 3, 1)


def test_the_request_carries_path_headers_and_body() -> None:
    seen: list[bytes] = []

    async def record(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await read_request(reader))
        writer.write(OK)

    asyncio.run(serve(record)(lambda client, port, _: post(client, port, b'{"a":1}')))

    assert seen[0].startswith(b"POST /hook?x=1 HTTP/1.1\r\n")
    assert b"host: hooks.test:" in seen[0]
    assert seen[0].endswith(b'content-length: 7\r\n\r\n{"a":1}')


def test_a_chunked_body_is_decoded_and_only_its_first_bytes_are_kept() -> None:
    async def chunked(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 503 Busy\r\ntransfer-encoding: chunked\r\nretry-after: 7\r\n\r\n"
                     b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
        await writer.drain()
        await reader.read()

    answer = asyncio.run(serve(chunked)(lambda client, port, _: post(client, port, keep=8)))

    assert (answer.status, bytes(answer.body), answer.headers["retry-after"]) == (503, b"hello wo", "7")


def test_a_body_ended_by_closing_the_connection_is_read() -> None:
    async def close_delimited(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\nall of it")
        await writer.drain()

    answer = asyncio.run(serve(close_delimited)(lambda client, port, _: post(client, port)))

    assert (answer.status, bytes(answer.body)) == (200, b"all of it")


def test_a_large_body_is_cut_and_its_connection_not_reused() -> None:
    async def large(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await read_request(reader)
            writer.write(b"HTTP/1.1 500 Oops\r\ncontent-length: 1000000\r\n\r\n" + b"x" * 1_000_000)
            await writer.drain()

    async def scenario(client: Client, port: int, connections: list[int]) -> tuple[int, int, int]:
        first = await post(client, port)
        await post(client, port)
        return first.status, len(first.body), len(connections)

    assert asyncio.run(serve(large)(scenario)) == (500, 4096, 2)


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async def one_request_per_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(OK)  # says keep-alive (HTTP/1.1, no Connection: close) but closes
        await writer.drain()

    async def scenario(client: Client, port: int, connections: list[int]) -> tuple[list[int], int]:
        first = await post(client, port)
        await asyncio.sleep(0.05)
        second = await post(client, port)
        return [first.status, second.status], len(connections)

    assert asyncio.run(serve(one_request_per_connection)(scenario)) == ([200, 200], 2)


def test_an_answer_that_is_not_http_is_a_protocol_error() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()

    with pytest.raises(ProtocolError):
        asyncio.run(serve(garbage)(lambda client, port, _: post(client, port)))


def test_a_server_that_closes_without_answering_is_a_protocol_error() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    with pytest.raises(ProtocolError, match="inside the response head"):
        asyncio.run(serve(hang_up)(lambda client, port, _: post(client, port)))


# ---- TLS: connect to the checked address, verify the certificate against the URL's name ------------------------


def certificate(tmp_path: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A self-signed certificate for `name`: the server's context, and a client context trusting only it."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


def test_tls_goes_to_the_given_address_and_verifies_the_urls_name(tmp_path: Path) -> None:
    server, trusting = certificate(tmp_path, "hooks.test")

    answer = asyncio.run(serve(keep_alive, server)(lambda client, port, _: post(client, port, name="hooks.test"),
                                                   Client(trusting)))

    assert answer.status == 200


def test_tls_refuses_a_certificate_for_another_name(tmp_path: Path) -> None:
    server, trusting = certificate(tmp_path, "hooks.test")

    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(serve(keep_alive, server)(lambda client, port, _: post(client, port, name="evil.test"),
                                              Client(trusting)))


def test_tls_refuses_a_certificate_nobody_vouches_for(tmp_path: Path) -> None:
    server, _ = certificate(tmp_path, "hooks.test")

    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(serve(keep_alive, server)(lambda client, port, _: post(client, port, name="hooks.test")))
