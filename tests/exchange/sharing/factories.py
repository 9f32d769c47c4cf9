"""factory-boy factories of the sharing app (public schema: build them outside
`in_authority(...)`). Agreements the product makes go through exchange.sharing.services
(`share` in sharing_world.py, with the audit trail and the mails); this factory writes
the row directly, for states where those side effects do not matter."""

import factory
from django.utils import timezone

from exchange.sharing.models import AgreementStatus, SharingAgreement


class SharingAgreementFactory(factory.django.DjangoModelFactory):
    """An active agreement: `proposer` proposed, `recipient` accepted. Pass both."""

    class Meta:
        model = SharingAgreement

    status = AgreementStatus.ACTIVE
    proposed_by = "Anne Durand"
    decided_by = "Marc Petit"
    decided_at = factory.LazyFunction(timezone.now)
