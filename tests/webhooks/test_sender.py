"""The sender seam without a network: the fake, the address check, the notifier's outcomes."""

from __future__ import annotations

import pytest

from smscast.webhooks.sender import AiohttpSender, FakeSender, SenderOptions, is_public


async def test_fake_sender_records_and_answers_in_turn():
    fake = FakeSender([500, "boom"])
    assert await fake.post("https://a.example/x", b"1", {"H": "v"}) == 500
    assert await fake.post("https://a.example/x", b"2", {}) == "boom"
    assert await fake.post("https://a.example/x", b"3", {}) == 200
    assert [r.body for r in fake.requests] == [b"1", b"2", b"3"]
    assert fake.requests[0].headers == {"H": "v"}


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("::ffff:127.0.0.1", False),
        ("0.0.0.0", False),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_is_public(address: str, public: bool):
    assert is_public(address) is public


async def test_private_literal_is_refused_without_connecting():
    sender = AiohttpSender(SenderOptions(block_private_addresses=True))
    assert (
        await sender.post("http://10.0.0.1/x", b"{}", {})
        == "refused: 10.0.0.1 is a private address"
    )
    assert sender._session is None  # nothing was opened
