"""`compression`: a text response comes compressed (gzip or br) when the client asks for it.

One request with `Accept-Encoding: gzip, br` (or `accept_encoding`); the body is read as sent
on the wire, so `bytes` is what the network carried.

Fields (besides the common `expect`, `timeout`, `retries`, `wait`, `ipv6`, and the request
fields `url`, `method`, `headers`, `body`, `follow_redirects`, `verify`, `body_cap`):
- `accept_encoding` ("gzip, br"): what the probe says it accepts;
- `min_size` (1KB): smaller bodies are not worth compressing (the threshold of Express's
  `compression`; nginx and CDNs have similar ones), so an uncompressed small body passes;
- `any_type` (false): also require compression of non-text types (images and archives are
  usually compressed already, so by default they are reported, not failed).
With no `expect`, the probe expects `compressed or not compressible` (with `any_type`:
`compressed`).

Facts: `status`, `encoding` ("gzip", "br", "deflate", "zstd", … or "none"), `compressed`
(bool), `content_type` (media type, lower-cased, no parameters), `text` (a text type: text/*,
JSON, XML, JavaScript, SVG), `compressible` (text, and at least `min_size` before compression),
`bytes` (body bytes on the wire: Content-Length, else counted), `decoded_bytes` (after
decoding gzip/deflate; absent for encodings the probe cannot decode), `vary_accept_encoding`
(the response says caches must key on Accept-Encoding), `truncated` (the body was longer
than `body_cap`; `bytes` is then the Content-Length or the cap).

Example:

    - id: compression
      title: Compression enabled
      evidence:
        - compression: {url: "{env.url}/"}
        - compression:
            url: "{env.url}/api/workflows"
            headers: {Authorization: "Bearer ${APIQ_PROBE_TOKEN}"}
"""

from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from typing import Any

from apiq_gate.conditions import Expectation, parse, unknown_names
from apiq_gate.evidence import register
from apiq_gate.probes.http_client import HttpExchange, HttpRequest
from apiq_gate.probes.kinds._request import ByteCount, RequestProbe
from apiq_gate.structure import doc

FACTS = frozenset({"status", "encoding", "compressed", "content_type", "text", "compressible",
                   "bytes",
                   "decoded_bytes", "vary_accept_encoding", "truncated"})  # fmt: skip
_TEXT_SUFFIXES = ("+json", "+xml")
_GZIP = 16 + zlib.MAX_WBITS
_WINDOW_BITS = {
    "gzip": (_GZIP,),
    "x-gzip": (_GZIP,),
    "deflate": (zlib.MAX_WBITS, -zlib.MAX_WBITS),
}  # zlib, or raw
_TEXT_TYPES = frozenset({
    "application/json", "application/javascript", "application/ecmascript",
    "application/x-javascript",
    "application/xml", "application/x-ndjson", "application/graphql", "image/svg+xml",
})  # fmt: skip


@register
@dataclass(frozen=True, kw_only=True, slots=True)
class CompressionProbe(RequestProbe):
    """Text responses come compressed (gzip or br) when the client asks for it."""

    kind = "compression"
    __shorthand__ = "url"

    accept_encoding: str = doc("The Accept-Encoding the probe sends", default="gzip, br")
    min_size: ByteCount = doc("Bodies smaller than this need not be compressed", default=ByteCount(1000), example="1KB")
    any_type: bool = doc("Also require compression of non-text types (images, archives…)", default=False)

    def default_expectations(self) -> tuple[Expectation, ...]:
        return (parse("compressed" if self.any_type else "compressed or not compressible"),)

    def check(self, checklist: Any, item_id: str) -> list[str]:
        problems = RequestProbe.check(self, checklist, item_id)
        for expectation in self.expect:
            problems.extend(unknown_names(expectation, FACTS))
        return problems

    def adjust(self, request: HttpRequest) -> HttpRequest:
        headers = dict(request.headers)
        if not any(name.lower() == "accept-encoding" for name in headers):
            headers["Accept-Encoding"] = self.accept_encoding
        return dataclasses.replace(request, headers=headers, decode_content=False)  # bytes as sent

    def facts_of(self, exchange: HttpExchange, request: HttpRequest) -> dict[str, Any]:
        return compression_facts(exchange, min_size=self.min_size.size, cap=request.body_cap)


def compression_facts(exchange: HttpExchange, *, min_size: int, cap: int) -> dict[str, Any]:
    headers = exchange.headers
    encoding = headers.get("content-encoding", "").strip().lower() or "none"
    encoding = "none" if encoding == "identity" else encoding
    content_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
    wire_bytes = _wire_bytes(exchange)
    decoded = _decoded_size(exchange.body, encoding, cap)
    text = is_text(content_type)
    facts: dict[str, Any] = {
        "status": exchange.status,
        "encoding": encoding[:40],
        "compressed": encoding != "none",
        "content_type": content_type[:100],
        "text": text,
        "compressible": text and max(wire_bytes, decoded or 0) >= min_size,
        "bytes": wire_bytes,
        "vary_accept_encoding": _varies_on_encoding(headers.get("vary", "")),
        "truncated": exchange.truncated,
    }
    if decoded is not None:
        facts["decoded_bytes"] = decoded
    return facts


def is_text(content_type: str) -> bool:
    if content_type.startswith("text/") or content_type in _TEXT_TYPES:
        return True
    return content_type.endswith(_TEXT_SUFFIXES)


def _varies_on_encoding(vary: str) -> bool:
    names = {name.strip().lower() for name in vary.split(",")}
    return "accept-encoding" in names or "*" in names


def _wire_bytes(exchange: HttpExchange) -> int:
    length = exchange.headers.get("content-length", "").strip()
    if length.isdigit() and "," not in length:
        return int(length)
    return len(exchange.body)


def _decoded_size(body: bytes, encoding: str, cap: int) -> int | None:
    """The decoded length of a gzip/deflate body, up to `cap` bytes (so a bomb stays small)."""
    if encoding == "none":
        return len(body)
    for wbits in _WINDOW_BITS.get(encoding, ()):
        try:
            return len(zlib.decompressobj(wbits).decompress(body, cap))
        except zlib.error:
            continue
    return None
