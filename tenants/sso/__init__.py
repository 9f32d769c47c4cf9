"""ProConnect sign-in across hosts: the callback on the bare host finds the agent's
authority and hands the sign-in to its subdomain (services: matching and hand-off;
views; public_urls on the bare host, urls on an authority's subdomain). The provider's
answer is verified by accounts.sso.oidc, accounts are decided by accounts.sso.services."""
