"""Loans of rarely used equipment between services and authorities."""
