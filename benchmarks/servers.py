"""Benchmark targets: HTTP and HTTPS on 127.0.0.1 that answer every request after a fixed delay.

The target must never be the bottleneck, so it runs in its own process (its CPU is not the
gate's GIL), on asyncio (one coroutine per connection: 130 connections at once cost
nothing), with a listen backlog of 1024 (no SYN is ever dropped into a 1 s retransmit), and
writes each answer in one `write` with TCP_NODELAY (no Nagle/delayed-ACK stall). Keep-alive
is honoured, as latency probes reuse their connection.

    python -m benchmarks.servers --delay 0.2 --certs DIR
prints one JSON line, `{"http": PORT, "https": PORT, "ca_bundle": PATH, "name": NAME}`,
then serves until its standard input closes (so it never outlives the benchmark).
`serving_targets()` does all of that from Python.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

NAME = "bench.test"  # the name the HTTPS certificate is for; configs resolve it to 127.0.0.1
BACKLOG = 1024
BODY = b'{"status": "ok"}'
MAX_HEADER_BYTES = 65536


@dataclass(frozen=True, kw_only=True, slots=True)
class Targets:
    http_port: int
    https_port: int
    ca_bundle: Path  # the private root CA that signed the HTTPS certificate
    name: str
    pid: int = 0  # the target process, to read its CPU time (0: unknown)

    def cpu_s(self) -> float:
        """CPU seconds the target process has used so far (Linux /proc; 0 elsewhere)."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@contextmanager
def serving_targets(delay_s: float, cert_dir: Path) -> Iterator[Targets]:
    """Start the target process; stop it (by closing its stdin) when the block ends."""
    repo = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "benchmarks.servers",
            "--delay",
            str(delay_s),
            "--certs",
            str(cert_dir),
        ],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line:
            raise RuntimeError("the benchmark target process exited before it was ready")
        ready = json.loads(line)
        yield Targets(
            http_port=ready["http"],
            https_port=ready["https"],
            ca_bundle=Path(ready["ca_bundle"]),
            name=ready["name"],
            pid=process.pid,
        )
    finally:
        if process.stdin:
            process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- the target process -------------------------------------------------------------


async def _handle(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay_s: float
) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            if len(head) > MAX_HEADER_BYTES:
                break
            lines = head.decode("latin-1").split("\r\n")
            method = lines[0].split(" ", 1)[0]
            headers = {
                k.strip().lower(): v.strip()
                for k, _, v in (line.partition(":") for line in lines[1:] if line)
            }
            length = int(headers.get("content-length") or 0)
            if length:
                await reader.readexactly(length)
            await asyncio.sleep(delay_s)
            close = headers.get("connection", "").lower() == "close"
            body = b"" if method == "HEAD" else BODY
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(BODY)}\r\n".encode()
                + (b"Connection: close\r\n" if close else b"")
                + b"\r\n"
                + body
            )
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ssl.SSLError):
        pass  # the client went away, or a handshake-only client (the tls probe) hung up
    finally:
        writer.close()


def _tls_context(cert_dir: Path) -> tuple[ssl.SSLContext, Path]:
    from tests.support.certs import CertFactory  # noqa: PLC0415  (only the target process needs it)

    factory = CertFactory(cert_dir)
    served = factory.leaf(NAME, days=90)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(served.chain, served.key)
    return context, factory.ca_bundle


async def _serve(delay_s: float, cert_dir: Path) -> None:
    tls, ca_bundle = _tls_context(cert_dir)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _handle(reader, writer, delay_s)

    plain = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=BACKLOG)
    secure = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=BACKLOG, ssl=tls)
    ready = {
        "http": plain.sockets[0].getsockname()[1],
        "https": secure.sockets[0].getsockname()[1],
        "ca_bundle": str(ca_bundle),
        "name": NAME,
    }
    print(json.dumps(ready), flush=True)
    stdin_closed = asyncio.Event()
    loop = asyncio.get_running_loop()
    threading.Thread(
        target=lambda: (sys.stdin.read(), loop.call_soon_threadsafe(stdin_closed.set)), daemon=True
    ).start()
    await stdin_closed.wait()
    plain.close()
    secure.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--delay", type=float, default=0.2, help="seconds before each answer (0.2)")
    parser.add_argument(
        "--certs", type=Path, required=True, help="directory for the generated certificates"
    )
    args = parser.parse_args()
    args.certs.mkdir(parents=True, exist_ok=True)
    asyncio.run(_serve(args.delay, args.certs))
    os._exit(0)  # do not wait for connections still open: the benchmark is over


if __name__ == "__main__":
    main()
