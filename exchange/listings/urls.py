"""URLs of the listings' pages, under /listings/ on an authority's host. Names are the
contract between views, templates, e-mails and tests; collectivrecup/urls_tenant.py
composes these with the sharing pages (exchange/sharing/urls.py) in the `exchange`
namespace."""

from django.urls import path

from exchange.listings.views import listings, moderation, outcome

urlpatterns = [
    # Agents
    path("", listings.feed, name="feed"),
    path("mine/", listings.my_listings, name="my_listings"),
    path("new/", listings.listing_create, name="listing_create"),
    path("new/category/", listings.category_suggestion, name="category_suggestion"),
    path("new/photos/", listings.pending_photo_upload, name="pending_photo_upload"),
    path("<int:pk>/", listings.listing_detail, name="listing_detail"),
    path("<int:pk>/edit/", listings.listing_edit, name="listing_edit"),
    path("<int:pk>/submit/", listings.listing_submit, name="listing_submit"),
    path("<int:pk>/photos/", listings.photo_upload, name="photo_upload"),
    path("<int:pk>/photos/<int:photo_pk>/delete/", listings.photo_delete, name="photo_delete"),
    path("<int:pk>/photos/<int:photo_pk>/<str:size>/", listings.photo_file, name="photo_file"),
    path("<int:pk>/contact/", listings.listing_contact, name="listing_contact"),
    path("<int:pk>/reserve/", listings.listing_reserve, name="listing_reserve"),
    path("<int:pk>/close/", listings.listing_close, name="listing_close"),
    path("<int:pk>/extend/", listings.listing_extend, name="listing_extend"),
    path("<int:pk>/visibility/", listings.listing_visibility, name="listing_visibility"),
    path("<int:pk>/transfers/<int:transfer_pk>/record.pdf", listings.transfer_record,
         name="transfer_record"),
    path("<int:pk>/partner-offer/", listings.listing_partner_offer,
         name="listing_partner_offer"),
    path("wanted/", listings.wanted_list, name="wanted_list"),
    path("wanted/new/", listings.wanted_create, name="wanted_create"),
    path("wanted/<int:pk>/close/", listings.wanted_close, name="wanted_close"),
    path("saved-searches/", listings.saved_search_create, name="saved_search_create"),
    path("saved-searches/<int:pk>/delete/", listings.saved_search_delete,
         name="saved_search_delete"),
    # One-click outcome links from reminder e-mails (signed, confirmed on a page)
    path("outcome/<str:token>/", outcome.outcome_confirm, name="outcome_confirm"),
    # Moderators
    path("moderation/", moderation.queue, name="moderation_queue"),
    path("moderation/bulk-approve/", moderation.bulk_approve, name="moderation_bulk_approve"),
    path("moderation/<int:pk>/", moderation.review, name="moderation_review"),
    path("moderation/<int:pk>/approve/", moderation.approve, name="moderation_approve"),
    path("moderation/<int:pk>/reject/", moderation.reject, name="moderation_reject"),
    path("moderation/<int:pk>/request-changes/", moderation.request_changes,
         name="moderation_request_changes"),
    path("moderation/dashboard/", moderation.dashboard, name="moderation_dashboard"),
    path("moderation/replies/", moderation.reply_list, name="reply_list"),
    path("moderation/replies/new/", moderation.reply_edit, name="reply_create"),
    path("moderation/replies/<int:pk>/", moderation.reply_edit, name="reply_edit"),
    # Authority admins
    path("settings/", moderation.exchange_settings_edit, name="settings"),
    path("categories/", moderation.category_list, name="category_list"),
    path("categories/new/", moderation.category_edit, name="category_create"),
    path("categories/<int:pk>/", moderation.category_edit, name="category_edit"),
    # Transfers above the legal cap for free transfers
    path("moderation/transfers/", moderation.transfer_confirmations,
         name="transfer_confirmations"),
    path("moderation/transfers/<int:transfer_pk>/confirm/", moderation.transfer_confirm,
         name="transfer_confirm"),
    path("moderation/transfers/<int:transfer_pk>/refuse/", moderation.transfer_refuse,
         name="transfer_refuse"),
]
