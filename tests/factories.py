"""The accounts factories now live beside the accounts tests, in
tests/accounts/factories.py: import them from there.

This module only re-exports them, so that the test files written before the move keep
working unchanged while other branches edit those files; it goes once they import from
tests.accounts.factories."""

from tests.accounts.factories import (
    PASSWORD,
    ServiceFactory,
    SiteFactory,
    UserFactory,
    agent,
    authority_admin,
    moderator,
    operator,
)

__all__ = ["PASSWORD", "ServiceFactory", "SiteFactory", "UserFactory", "agent",
           "authority_admin", "moderator", "operator"]
