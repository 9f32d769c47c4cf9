"""Local e-mail lands as .eml files; media always sit under the authority's schema."""

import email
from email import policy

import pytest
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django_tenants.utils import schema_context

from collectivrecup.storage import TenantFileSystemStorage, TenantS3Storage
from core.mail import EmlFileBackend


def test_each_message_becomes_one_eml_file(tmp_path):
    backend = EmlFileBackend(file_path=str(tmp_path))
    messages = [
        EmailMessage("Annonce n°1", "Bonjour Camille,\nUn agent est intéressé.",
                     "noreply@collectivrecup.example", ["camille@chatellerault.example"],
                     cc=["moderateur@chatellerault.example"],
                     reply_to=["julien@chatellerault.example"]),
        EmailMessage("Annonce n°2", "Second", "noreply@collectivrecup.example",
                     ["x@chatellerault.example"]),
    ]
    assert backend.send_messages(messages) == 2
    files = sorted(tmp_path.glob("*.eml"))
    assert len(files) == 2
    assert not list(tmp_path.glob("*.tmp"))
    parsed = [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    first = next(m for m in parsed if m["Subject"] == "Annonce n°1")
    assert first["To"] == "camille@chatellerault.example"
    assert first["Cc"] == "moderateur@chatellerault.example"
    assert first["Reply-To"] == "julien@chatellerault.example"
    assert "intéressé" in first.get_content()


@pytest.mark.django_db
def test_filesystem_media_are_namespaced_by_schema(chatellerault, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    with schema_context(chatellerault.schema_name):
        storage = TenantFileSystemStorage()
        name = storage.save("photos/chaise.jpg", ContentFile(b"jpeg"))
        path = storage.path(name)
    assert path.startswith(str(tmp_path / "chatellerault"))
    with schema_context("grand_chatellerault"):
        assert not TenantFileSystemStorage().exists(name)


def test_s3_keys_are_namespaced_by_schema():
    storage = TenantS3Storage(bucket_name="media", access_key="a", secret_key="b",
                              region_name="eu-west-3")
    with schema_context("grand_chatellerault"):
        key = storage._normalize_name("photos/chaise.jpg")
    assert key == "grand_chatellerault/photos/chaise.jpg"
    with schema_context("chatellerault"):
        assert storage._normalize_name("photos/chaise.jpg") == "chatellerault/photos/chaise.jpg"
