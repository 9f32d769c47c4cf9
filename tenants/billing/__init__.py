"""Billing (public schema): yearly plans by population, invoices paid by bank transfer
through Stripe (`collection_method=send_invoice`, 30 days), or manual billing when no
Stripe key is configured. See docs/operations.md, "Billing"."""
