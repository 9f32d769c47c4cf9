"""The partners' crossing ground (see tenants/crossing.py).

`PartnerGrantGround(partner, scope, key)` lets the partner API read in an authority's
schema (a photo of an offered listing, the mail of a request) while — checked at the
moment of crossing — the partner holds an accepted, unrevoked, in-date grant of that
authority with `scope`, and the key (when given) may read that authority: the key of
that very grant, or an operator-issued key. The authority must be live.
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.partners.models import ApiKey, Partner
from exchange.partners.selectors import readable_grants
from tenants.models import Authority


@dataclass(frozen=True)
class PartnerGrantGround:
    """A partner reads in `target` under its accepted grant with `scope`."""

    partner: Partner
    scope: str
    key: ApiKey | None = None
    requires_live: bool = True

    @property
    def reason(self) -> str:
        return f"partner grant: {self.scope}"

    def holds(self, target: Authority) -> bool:
        return readable_grants(self.partner, self.scope, self.key).filter(
            authority=target).exists()
