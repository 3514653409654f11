"""The NATS helpers the scale-out tests stand on: a real nats-server started, restarted on the same port and store,
paused; a relay that cuts one client off. Spoken to in NATS's own text protocol over loopback sockets."""
import socket

import pytest

from tickhub_e2e import NATSPartition, start_nats_server


def nats_client(port, timeout=3):
    """A bare NATS client past its handshake: INFO read, CONNECT sent, the first PONG read."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    assert sock.recv(4096).startswith(b"INFO ")
    sock.sendall(b'CONNECT {"verbose":false}\r\nPING\r\n')
    assert read_until(sock, b"PONG\r\n").endswith(b"PONG\r\n")
    return sock


def read_until(sock, marker, limit=1 << 20):
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_messages_cross_the_server_and_it_comes_back_on_the_same_port(tmp_path):
    server = start_nats_server(tmp_path)
    try:
        subscriber, publisher = nats_client(server.port), nats_client(server.port)
        subscriber.sendall(b"SUB tickhub.quote.* 1\r\nPING\r\n")
        read_until(subscriber, b"PONG\r\n")
        publisher.sendall(b"PUB tickhub.quote.AAPL 5\r\nhello\r\n")
        assert b"MSG tickhub.quote.AAPL 1 5\r\nhello\r\n" in read_until(subscriber, b"hello\r\n")

        server.kill()
        assert subscriber.recv(100) == b""  # the server's end is gone
        server.restart()
        assert server.url == f"nats://127.0.0.1:{server.port}"
        nats_client(server.port).close()
        assert server.log.read_text().count("Server is ready") == 2
    finally:
        server.stop()


def test_a_paused_server_answers_nothing_until_resumed(tmp_path):
    server = start_nats_server(tmp_path)
    try:
        client = nats_client(server.port)
        server.pause()
        client.sendall(b"PING\r\n")
        client.settimeout(0.5)
        with pytest.raises(socket.timeout):
            client.recv(100)
        server.resume()
        client.settimeout(3)
        assert read_until(client, b"PONG\r\n").endswith(b"PONG\r\n")
    finally:
        server.stop()


def test_a_partition_cuts_off_only_the_client_behind_it(tmp_path):
    server = start_nats_server(tmp_path, configuration="max_payload: 65536\n")
    partition = NATSPartition(server.port)
    try:
        behind, direct = nats_client(partition.port), nats_client(server.port)
        partition.block()
        behind.sendall(b"PING\r\n")
        direct.sendall(b"PING\r\n")
        assert read_until(direct, b"PONG\r\n").endswith(b"PONG\r\n")  # the server itself is fine
        behind.settimeout(0.5)
        with pytest.raises(socket.timeout):
            behind.recv(100)
        partition.unblock()
        behind.settimeout(3)
        assert read_until(behind, b"PONG\r\n").endswith(b"PONG\r\n")
        partition.sever()
        assert behind.recv(100) == b""
        # The configuration was read: the server announces the payload limit it was given.
        assert b'"max_payload":65536' in socket.create_connection(("127.0.0.1", server.port), timeout=3).recv(4096)
    finally:
        partition.close()
        server.stop()
