"""The listings factories now live beside the listings tests, in
tests/exchange/listings/factories.py: import them from there.

This module only re-exports what it held before the move, so that the test files
written before it keep working unchanged while other branches edit those files; it goes
once they import from tests.exchange.listings.factories."""

from tests.exchange.listings.factories import (
    ContactRequestFactory,
    ListingFactory,
    StandardReplyFactory,
    image_upload,
    item_type,
    published_listing,
)

__all__ = ["ContactRequestFactory", "ListingFactory", "StandardReplyFactory", "image_upload",
           "item_type", "published_listing"]
