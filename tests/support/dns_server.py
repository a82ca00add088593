"""A small authoritative DNS server for probe tests: UDP and TCP on 127.0.0.1, one random port.

Built from dnspython's message APIs: it parses each query, answers from a zone given as a
dict (`{"app.example.test": {"A": ["127.0.0.1"]}}`), follows CNAMEs inside the zone, and
answers NXDOMAIN for names it does not hold. Names in `servfail` get SERVFAIL; a `silent`
server never answers, so clients time out. A UDP answer larger than the client's buffer
(512 bytes, or its EDNS size) is sent truncated, and the client must ask again over TCP.

    with serving_dns({"app.example.test": {"A": ["127.0.0.1"]}}) as server:
        ... query 127.0.0.1:server.port ...
        assert server.queries == [Query(name="app.example.test", type="A", transport="udp")]
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
from dns.rdtypes.ANY.TXT import TXT

Zone = Mapping[str, Mapping[str, Sequence[str]]]  # name -> record type -> values
_POLL_S = 0.05  # how often the serving threads look at the stop flag


@dataclass(frozen=True, kw_only=True)
class Query:
    name: str  # lower-cased, without the final dot
    type: str
    transport: str  # "udp" or "tcp"


class DnsServer:
    def __init__(
        self,
        zone: Zone,
        *,
        ttl: int = 300,
        ttls: Mapping[str, int] | None = None,
        servfail: Collection[str] = (),
        silent: bool = False,
    ) -> None:
        self.zone = {name.lower().rstrip("."): records for name, records in zone.items()}
        self.ttl = ttl
        self.ttls = dict(ttls or {})  # name -> TTL of its records, instead of `ttl`
        self.servfail = {name.lower().rstrip(".") for name in servfail}
        self.silent = silent
        self.queries: list[Query] = []
        self._stop = threading.Event()
        self._udp, self._tcp = _bind_pair()
        self.port: int = self._udp.getsockname()[1]
        self._threads = [
            threading.Thread(target=self._serve_udp, name="dns-udp", daemon=True),
            threading.Thread(target=self._serve_tcp, name="dns-tcp", daemon=True),
        ]

    address = "127.0.0.1"

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2)
        self._udp.close()
        self._tcp.close()

    # --- answering ----------------------------------------------------------------

    def answer(self, wire: bytes, transport: str, limit: int | None) -> bytes | None:
        """The reply to one query, or None to stay silent. `limit`: the UDP size allowed."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None
        if not query.question:
            return None
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        self.queries.append(Query(name=name, type=dns.rdatatype.to_text(question.rdtype), transport=transport))
        if self.silent:
            return None
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if name in self.servfail:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif name not in self.zone:
            response.set_rcode(dns.rcode.NXDOMAIN)
        else:
            response.answer.extend(self._records(name, dns.rdatatype.to_text(question.rdtype)))
        if limit is None:  # TCP: any size (the default would be the query's EDNS size)
            return response.to_wire(max_size=65535)
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            truncated = dns.message.make_response(query)
            truncated.flags |= dns.flags.AA | dns.flags.TC
            return truncated.to_wire()

    def _records(self, name: str, rdtype: str) -> list[dns.rrset.RRset]:
        """The rrset asked for, after the CNAMEs inside the zone that lead to it."""
        found = []
        for _ in range(8):
            records = self.zone.get(name)
            if records is None:
                break
            if rdtype in records:
                found.append(self._rrset(name, rdtype, records[rdtype]))
                break
            if "CNAME" not in records:
                break
            found.append(self._rrset(name, "CNAME", records["CNAME"]))
            name = records["CNAME"][0].lower().rstrip(".")
        return found

    def _rrset(self, name: str, rdtype: str, values: Sequence[str]) -> dns.rrset.RRset:
        owner, ttl = dns.name.from_text(name), self.ttls.get(name, self.ttl)
        if rdtype == "TXT":
            return dns.rrset.from_rdata_list(owner, ttl, [_txt(value) for value in values])
        return dns.rrset.from_text_list(owner, ttl, "IN", rdtype, [_absolute(rdtype, value) for value in values])

    # --- transports ---------------------------------------------------------------

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                wire, peer = self._udp.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            reply = self.answer(wire, "udp", _udp_limit(wire))
            if reply is not None:
                self._udp.sendto(reply, peer)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve_connection, args=(connection,), daemon=True).start()

    def _serve_connection(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(2)
            try:
                while not self._stop.is_set():
                    header = _read_exactly(connection, 2)
                    if header is None:
                        return
                    wire = _read_exactly(connection, struct.unpack("!H", header)[0])
                    if wire is None:
                        return
                    reply = self.answer(wire, "tcp", None)
                    if reply is not None:
                        connection.sendall(struct.pack("!H", len(reply)) + reply)
            except OSError:
                return


@contextlib.contextmanager
def serving_dns(zone: Zone, **options: object) -> Iterator[DnsServer]:
    """A running DnsServer for the `with` block (options: ttl, ttls, servfail, silent)."""
    server = DnsServer(zone, **options)  # type: ignore[arg-type]
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket on the same free port (tried a few times: the port may be taken)."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        udp.settimeout(_POLL_S)
        tcp.settimeout(_POLL_S)
        return udp, tcp
    raise RuntimeError("no free port for both UDP and TCP on 127.0.0.1")


def _udp_limit(wire: bytes) -> int:
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return 512
    return max(512, query.payload) if query.edns >= 0 else 512


def _read_exactly(connection: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = connection.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _txt(value: str) -> TXT:
    """One TXT value: its bytes split into strings of at most 255 bytes, as DNS requires."""
    raw = value.encode()
    chunks = [raw[i : i + 255] for i in range(0, len(raw), 255)] or [b""]
    return TXT(dns.rdataclass.IN, dns.rdatatype.TXT, chunks)


def _absolute(rdtype: str, value: str) -> str:
    """Names in record data made absolute (`mail.example.test.`), so no origin is needed."""
    if rdtype in ("CNAME", "NS", "PTR"):
        return value.rstrip(".") + "."
    if rdtype == "MX":
        preference, exchange = value.split()
        return f"{preference} {exchange.rstrip('.')}."
    return value
