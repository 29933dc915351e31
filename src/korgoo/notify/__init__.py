"""Notifications outside the apps: who is told what (`model`, `policy`: pure),
the transactional outbox (`outbox`), the channels (`channels`: SMTP, an HTTP SMS
gateway), the messages in the recipient's language (`messages`) and the
dispatcher that sends with retries, back-off and failover (`dispatcher`)."""
