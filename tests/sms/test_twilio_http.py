"""The transport under the twilio library tells a request that never reached the gateway
(safe to send again) from one whose answer was lost after it was sent (ask first)."""

from __future__ import annotations

import base64
import socket
import threading

import pytest

from bot.sms.twilio_http import AnswerLost, Unreached, Urllib3HttpClient


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _read_request(connection: socket.socket) -> bytes:
    """The whole request: its head, then as many body bytes as Content-Length says."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n")
         if line.lower().startswith(b"content-length:")),
        0,
    )  # fmt: skip
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def test_a_port_nobody_listens_on_is_unreached() -> None:
    client = Urllib3HttpClient(2.0, f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(Unreached):
        client.request("POST", "https://api.twilio.com/2010-04-01/x.json", data={"To": "+1"})


def test_a_line_dropped_after_the_request_arrived_is_an_answer_lost() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received: list[bytes] = []

    def take_and_hang_up() -> None:
        connection, _ = server.accept()
        received.append(_read_request(connection))
        connection.close()

    thread = threading.Thread(target=take_and_hang_up, daemon=True)
    thread.start()
    port = server.getsockname()[1]
    client = Urllib3HttpClient(2.0, f"http://127.0.0.1:{port}")
    try:
        with pytest.raises(AnswerLost):
            client.request("POST", "https://api.twilio.com/2010-04-01/x.json", data={"To": "+1"})
    finally:
        thread.join(5)
        server.close()
    assert received and received[0].startswith(b"POST /2010-04-01/x.json")


def test_the_library_s_form_and_auth_reach_the_gateway() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    received: list[bytes] = []

    def answer() -> None:
        connection, _ = server.accept()
        received.append(_read_request(connection))
        body = b'{"sid": "SM1"}'
        connection.sendall(
            b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )
        connection.close()

    thread = threading.Thread(target=answer, daemon=True)
    thread.start()
    client = Urllib3HttpClient(2.0, f"http://127.0.0.1:{server.getsockname()[1]}")
    try:
        response = client.request(
            "POST",
            "https://api.twilio.com/2010-04-01/x.json",
            data={"To": "+16175550100", "Body": "Hi & bye"},
            auth=("AC1", "not-a-secret"),
        )
    finally:
        thread.join(5)
        server.close()
    assert response.status_code == 201 and response.text == '{"sid": "SM1"}'
    request = received[0].decode()
    expected = base64.b64encode(b"AC1:not-a-secret").decode()
    headers = dict(line.split(": ", 1) for line in request.split("\r\n")[1:] if ": " in line)
    assert {k.lower(): v for k, v in headers.items()}["authorization"] == f"Basic {expected}"
    assert request.endswith("To=%2B16175550100&Body=Hi+%26+bye")
