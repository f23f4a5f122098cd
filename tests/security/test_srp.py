"""SRP-6a: RFC 5054 appendix B's vector, and IRLink's group."""

from __future__ import annotations

import pytest

from irlink.security import AuthenticationFailed
from irlink.security.srp import GROUP_3072, SrpClient, SrpGroup, SrpServer, to_bytes


def number(text: str) -> int:
    return int("".join(text.split()), 16)


# RFC 5054 appendix A, the 1024-bit group; appendix B, its test vector (SHA-1).
RFC_GROUP = SrpGroup(
    N=number(
        """EEAF0AB9 ADB38DD6 9C33F80A FA8FC5E8 60726187 75FF3C0B 9EA2314C 9C256576 D674DF74
        96EA81D3 383B4813 D692C6E0 E0D5D8E2 50B98BE4 8E495C1D 6089DAD1 5DC7D7B4 6154D6B6
        CE8EF4AD 69B15D49 82559B29 7BCF1885 C529F566 660E57EC 68EDBC3C 05726CC0 2FD4CBF4
        976EAA9A FD5138FE 8376435B 9FC61D2F C0EB06E3"""
    ),
    g=2,
    hash_name="sha1",
)
USERNAME, PASSWORD = b"alice", b"password123"
SALT = bytes.fromhex("BEB25379D1A8581EB5A727673A2441EE")
A_PRIVATE = bytes.fromhex("60975527035CF2AD1989806F0407210BC81EDC04E2762A56AFD529DDDA2D4393")
B_PRIVATE = bytes.fromhex("E487CB59D31AC550471E81F00F6928E01DDA08E974A004F49E61F5D105284D20")
EXPECTED = {
    "k": "7556AA04 5AEF2CDD 07ABAF0F 665C3E81 8913186F",
    "x": "94B7555A ABE9127C C58CCF49 93DB6CF8 4D16C124",
    "v": """7E273DE8 696FFC4F 4E337D05 B4B375BE B0DDE156 9E8FA00A 9886D812 9BADA1F1
        822223CA 1A605B53 0E379BA4 729FDC59 F105B478 7E5186F5 C671085A 1447B52A 48CF1970
        B4FB6F84 00BBF4CE BFBB1681 52E08AB5 EA53D15C 1AFF87B2 B9DA6E04 E058AD51 CC72BFC9
        033B564E 26480D78 E955A5E2 9E7AB245 DB2BE315 E2099AFB""",
    "A": """61D5E490 F6F1B795 47B0704C 436F523D D0E560F0 C64115BB 72557EC4 4352E890 3211C046
        92272D8B 2D1A5358 A2CF1B6E 0BFCF99F 921530EC 8E393561 79EAE45E 42BA92AE ACED8251
        71E1E8B9 AF6D9C03 E1327F44 BE087EF0 6530E69F 66615261 EEF54073 CA11CF58 58F0EDFD
        FE15EFEA B349EF5D 76988A36 72FAC47B 0769447B""",
    "B": """BD0C6151 2C692C0C B6D041FA 01BB152D 4916A1E7 7AF46AE1 05393011 BAF38964 DC46A067
        0DD125B9 5A981652 236F99D9 B681CBF8 7837EC99 6C6DA044 53728610 D0C6DDB5 8B318885
        D7D82C7F 8DEB75CE 7BD4FBAA 37089E6F 9C6059F3 88838E7A 00030B33 1EB76840 910440B1
        B27AAEAE EB4012B7 D7665238 A8E3FB00 4B117B58""",
    "u": "CE38B959 3487DA98 554ED47D 70A7AE5F 462EF019",
    "S": """B0DC82BA BCF30674 AE450C02 87745E79 90A3381F 63B387AA F271A10D 233861E3 59B48220
        F7C4693C 9AE12B0A 6F67809F 0876E2D0 13800D6C 41BB59B6 D5979B5C 00A172B4 A2A5903A
        0BDCAF8A 709585EB 2AFAFA8F 3499B200 210DCC1F 10EB3394 3CD67FC8 8A2F39A4 BE5BEC4E
        C0A3212D C346D7E4 74B29EDE 8A469FFE CA686E5A""",
}


def test_rfc_5054_appendix_b_vector() -> None:
    server = SrpServer(PASSWORD, salt=SALT, private=B_PRIVATE, group=RFC_GROUP, username=USERNAME)
    client = SrpClient(PASSWORD, private=A_PRIVATE, group=RFC_GROUP, username=USERNAME)
    m2 = server.verify(client.A, client.process(SALT, server.B))
    client.verify(m2)
    got = {
        "k": RFC_GROUP.k,
        "x": client.x,
        "v": server.v,
        "A": client.A,
        "B": server.B,
        "u": client.u,
        "S": client.S,
    }
    assert got == {name: number(value) for name, value in EXPECTED.items()}
    assert server.S == client.S
    assert server.K == client.K == RFC_GROUP.H(to_bytes(client.S))


def test_irlinks_group_is_rfc_5054s_3072_bit_prime_with_generator_5_and_sha_512() -> None:
    n = GROUP_3072.N
    assert n.bit_length() == 3072
    assert GROUP_3072.size == 384
    assert (GROUP_3072.g, GROUP_3072.hash_name) == (5, "sha512")
    # RFC 3526 section 4: 2^3072 - 2^3008 - 1 + 2^64 * (floor(2^2942 pi) + 1690314).
    assert n >> 3008 == 2**64 - 1  # the top 64 bits are ones
    assert n & (2**64 - 1) == 2**64 - 1  # and so are the bottom 64
    for witness in (2, 3):  # Fermat: a composite would all but surely fail these
        assert pow(witness, n - 1, n) == 1


def test_a_wrong_password_fails_on_both_sides() -> None:
    device = SrpServer(b"48219736", salt=SALT, private=B_PRIVATE)
    host = SrpClient(b"48219737", private=A_PRIVATE)
    m1 = host.process(SALT, device.B)
    with pytest.raises(AuthenticationFailed, match="wrong setup code"):
        device.verify(host.A, m1)
    # A device that does not know the host's code can only make up its M2: it is refused.
    _, _, made_up = GROUP_3072.proofs(device.username, SALT, host.A, device.B, device.S)
    with pytest.raises(AuthenticationFailed, match="does not know this setup code"):
        host.verify(made_up)


@pytest.mark.parametrize("multiple", [0, 1, 2])
def test_a_public_value_of_0_modulo_n_is_refused(multiple: int) -> None:
    server = SrpServer(b"48219736", salt=SALT, private=B_PRIVATE)
    with pytest.raises(AuthenticationFailed, match="A is 0 modulo N"):
        server.verify(multiple * GROUP_3072.N, bytes(64))
    client = SrpClient(b"48219736", private=A_PRIVATE)
    with pytest.raises(AuthenticationFailed, match="B is 0 modulo N"):
        client.process(SALT, multiple * GROUP_3072.N)


def test_m2_is_refused_before_m1_was_made() -> None:
    with pytest.raises(AuthenticationFailed):
        SrpClient(b"48219736", private=A_PRIVATE).verify(bytes(64))


def test_numbers_enter_the_proofs_as_minimal_bytes() -> None:
    assert to_bytes(0) == b"\0"
    assert to_bytes(5) == b"\x05"
    assert to_bytes(0x0100) == b"\x01\x00"
    assert GROUP_3072.pad(5) == bytes(383) + b"\x05"
