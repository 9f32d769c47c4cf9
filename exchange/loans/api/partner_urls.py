"""The loans' routes of the partner API, on the bare host (composed by
collectivrecup/urls_public.py before the partner API's catch-all 404)."""

from django.urls import path

from exchange.loans.api import partner

urlpatterns = [
    path("api/v1/partner/loans/items/", partner.PartnerLoanItems.as_view(),
         name="partner_loan_items"),
    path("api/v1/partner/loans/<slug:authority_slug>/<int:item_id>/bookings/",
         partner.PartnerLoanBooking.as_view(), name="partner_loan_booking"),
]
