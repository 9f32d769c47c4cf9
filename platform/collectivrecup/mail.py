"""Local e-mail backend: one RFC 822 `.eml` file per message under var/mail/."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone


class EmlFileBackend(BaseEmailBackend):
    """Write each message to `<EMAIL_FILE_PATH>/<timestamp>-<uuid>.eml`.

    Any mail client opens these files; tests and the demo read them to follow
    what the product sent without a mail server.
    """

    def __init__(self, *args, file_path: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.directory = Path(file_path or settings.EMAIL_FILE_PATH)

    def send_messages(self, email_messages) -> int:
        if not email_messages:
            return 0
        self.directory.mkdir(parents=True, exist_ok=True)
        sent = 0
        for message in email_messages:
            stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
            target = self.directory / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
            partial = target.with_suffix(".tmp")
            partial.write_bytes(message.message().as_bytes(linesep="\r\n"))
            partial.rename(target)  # readers never see a half-written file
            sent += 1
        return sent
