"""Live probes of the deployed targets.

`base.py` is the interface, `targets.py` the addressing policy, `http_client.py` the shared
HTTP layer; `kinds/` holds one module per probe kind, each registered as an evidence kind.
"""
