"""Mail plumbing: the local e-mail backend (one RFC 822 `.eml` file per message under
var/mail/) and the one way to send mail after commit."""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation


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


def after_commit_in_language(function, *args, language: str | None = None) -> None:
    """Run `function(*args)` (typically: send a mail) once the current transaction
    commits, in `language` — by default the language active now, as the request's
    language is gone by then."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE

    def run() -> None:
        with translation.override(language):
            function(*args)

    transaction.on_commit(run)


def mail_each_after_commit(template: str, context: dict, addresses: list[str], *,
                           language: str | None = None) -> None:
    """After commit, render `<template>_subject.txt` and `<template>_body.txt` with
    `context` and send one message per address, so no one sees the others' addresses."""

    def send() -> None:
        subject = " ".join(render_to_string(f"{template}_subject.txt", context).split())
        body = render_to_string(f"{template}_body.txt", context)
        for address in addresses:
            send_mail(subject, body, None, [address])

    after_commit_in_language(send, language=language)
