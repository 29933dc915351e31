"""Prometheus metrics shared by every gateway (watch, gt06, osmand, mqtt, native).

One set of metric families labelled by `protocol`, so a dashboard compares
gateways side by side and a new gateway adds no new names.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES = Counter(
    "korgoo_gateway_messages",
    "Frames or requests received from devices",
    ["protocol"],
)
DECODED = Counter(
    "korgoo_gateway_decoded",
    "Events (fixes and signals) decoded from device messages",
    ["protocol"],
)
REJECTED = Counter(
    "korgoo_gateway_rejected",
    "Device messages not taken in, by reason",
    ["protocol", "reason"],
)
ACKED = Counter(
    "korgoo_gateway_acked",
    "Replies or acknowledgements sent to devices after their messages were committed",
    ["protocol"],
)
CRC_ERRORS = Counter(
    "korgoo_gateway_crc_errors",
    "Frames whose checksum did not match (still used; see the protocol module)",
    ["protocol"],
)
CONNECTIONS = Gauge(
    "korgoo_gateway_connections",
    "Open device connections",
    ["protocol"],
)
ACK_SECONDS = Histogram(
    "korgoo_gateway_ack_seconds",
    "From receiving a device message to acknowledging it (store commit included)",
    ["protocol"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
