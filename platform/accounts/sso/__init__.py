"""Single sign-on of agents with ProConnect: verifying the provider's answer
(`oidc`), and what a verified identity does to this authority's accounts (`services`,
`views`). Reaching the right authority from the bare host is tenants/sso/'s work."""
