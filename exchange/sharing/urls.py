"""URLs of the sharing pages (issue 4), under /listings/ on an authority's host. No
namespace of their own: collectivrecup/urls_tenant.py composes them with the listings'
pages (exchange/listings/urls.py) in the `exchange` namespace, so that their names stay
`exchange:<name>` in views, templates, e-mails and tests."""

from django.urls import path

from exchange.sharing import views

urlpatterns = [
    # Agents: shared listings of the authorities sharing with this one
    path("shared/", views.shared_feed, name="shared_feed"),
    path("shared/<slug:slug>/<int:listing_id>/", views.shared_detail, name="shared_detail"),
    path("shared/<slug:slug>/<int:listing_id>/contact/", views.shared_contact,
         name="shared_contact"),
    path("shared/<slug:slug>/<int:listing_id>/photos/<int:photo_id>/<str:size>/",
         views.shared_photo, name="shared_photo"),
    # Moderators: transfers from other authorities (receipt to confirm, records)
    path("moderation/received/", views.received_transfers, name="received_transfers"),
    path("moderation/receipts/", views.transfer_receipts, name="transfer_receipts"),
    path("moderation/receipts/<int:pk>/confirm/", views.transfer_receipt_confirm,
         name="transfer_receipt_confirm"),
    path("moderation/receipts/<int:pk>/decline/", views.transfer_receipt_decline,
         name="transfer_receipt_decline"),
    path("moderation/received/<slug:slug>/<int:transfer_pk>/record.pdf",
         views.received_record, name="received_record"),
    # Authority admins: agreements and networks
    path("sharing/", views.sharing_settings, name="sharing_settings"),
    path("sharing/propose/", views.agreement_propose, name="agreement_propose"),
    path("sharing/agreements/<int:pk>/<str:action>/", views.agreement_action,
         name="agreement_action"),
    path("sharing/networks/new/", views.network_create, name="network_create"),
    path("sharing/networks/<int:pk>/invite/", views.network_invite, name="network_invite"),
    path("sharing/networks/<int:pk>/invitations/<int:invitation_pk>/<str:action>/",
         views.network_invitation_action, name="network_invitation_action"),
    path("sharing/networks/<int:pk>/<str:action>/", views.network_action,
         name="network_action"),
]
