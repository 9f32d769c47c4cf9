"""The mail outbox: one row per message, written in the transaction of the business
write it tells about and sent afterwards by a worker (core/outbox.py)."""

from __future__ import annotations

import uuid

from django.contrib.postgres.fields import ArrayField
from django.db import models


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "pending"
    SENDING = "sending", "sending"  # claimed by a worker (core.sending)
    SENT = "sent", "sent"
    ABANDONED = "abandoned", "abandoned"


class OutboxMessage(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # What was to be sent, as rendered when the write happened (language, links).
    subject = models.CharField(max_length=998)
    body = models.TextField()
    from_email = models.CharField(max_length=320, blank=True)
    to = ArrayField(models.CharField(max_length=320))
    cc = ArrayField(models.CharField(max_length=320), default=list, blank=True)
    reply_to = ArrayField(models.CharField(max_length=320), default=list, blank=True)
    # Which kind of mail (e.g. "exchange.decision"), for the operators and the fault test.
    kind = models.CharField(max_length=60, blank=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices,
                              default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When a worker claimed it for the attempt under way (status "sending"), by the
    # database's clock (core.sending).
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # The sweep reads only what is still to send, and the claims to check.
            models.Index(fields=["next_attempt_at"], name="core_outbox_pending",
                         condition=models.Q(status="pending")),
            models.Index(fields=["claimed_at"], name="core_outbox_sending",
                         condition=models.Q(status="sending")),
        ]

    def __str__(self) -> str:
        return f"{self.kind or 'mail'} {self.pk} ({self.status})"

    @property
    def message_id(self) -> str:
        """The Message-ID header: the same for every attempt, so that a receiver (or the
        fault test's sink) recognises a message sent twice."""
        return f"<outbox-{self.pk}@collectivrecup>"
