"""Prometheus metrics of the ingest pipeline (the gateways have their own)."""

from prometheus_client import Counter, Gauge, Histogram

STORED = Counter("korgoo_ingest_stored_total", "Events committed to the event log")
DUPLICATES = Counter("korgoo_ingest_duplicates_total", "Resent messages stored once")
REJECTED = Counter("korgoo_ingest_rejected_total", "Messages refused, by reason", ["reason"])
UNKNOWN = Counter(
    "korgoo_ingest_unknown_device_total", "Messages from devices not enrolled", ["protocol"]
)
UNKNOWN_PRUNED = Counter(
    "korgoo_ingest_unknown_device_pruned_total",
    "Unknown senders deleted from the table to keep it bounded (least recently seen first)",
)
STORE_FAILURES = Counter("korgoo_ingest_store_failures_total", "Batches the store could not commit")
EVALUATION_FAILURES = Counter(
    "korgoo_engine_evaluation_failures_total", "Stored batches the engine failed to evaluate"
)
DECISIONS = Counter("korgoo_engine_decisions_total", "Decisions made by the engine")
QUEUE_DEPTH = Gauge("korgoo_ingest_queue_depth", "Submissions waiting for the writer")
COMMIT_SECONDS = Histogram(
    "korgoo_ingest_commit_seconds",
    "Time to validate and commit one batch",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
ACK_SECONDS = Histogram(
    "korgoo_ingest_ack_seconds",
    "From submit to commit, per submission",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
