"""URLs of the statistics pages on an authority's host, under /listings/ beside the
exchange's pages (collectivrecup/urls_tenant.py). Names (namespace `statistics`) are the
contract between views, templates, e-mails and tests."""

from django.urls import path

from analytics.views import purchases, reports, statistics

app_name = "statistics"

urlpatterns = [
    # Agents
    path("my-impact/", statistics.my_impact, name="my_impact"),
    # Moderators
    path("moderation/report/", reports.report, name="moderation_report"),
    path("moderation/report/export.csv", reports.report_csv, name="moderation_report_csv"),
    path("moderation/report/export.xlsx", reports.report_xlsx, name="moderation_report_xlsx"),
    path("moderation/report/fiche.pdf", reports.report_pdf, name="moderation_report_pdf"),
    path("moderation/agec/", statistics.agec_report, name="agec_report"),
    path("moderation/agec/declaration.csv", statistics.agec_csv, name="agec_csv"),
    path("moderation/weights/", statistics.campaign_list, name="weight_campaigns"),
    path("moderation/weights/<int:year>/s<int:semester>/", statistics.campaign_detail,
         name="weight_campaign"),
    path("factors/", statistics.factor_overrides, name="factor_overrides"),
    # Finance team and admins write, moderators read (issue 16)
    path("moderation/agec/purchases/", purchases.purchases_current,
         name="agec_purchases_current"),
    path("moderation/agec/<int:year>/purchases/", purchases.purchases, name="agec_purchases"),
    path("moderation/agec/<int:year>/purchases/import/", purchases.import_upload,
         name="agec_purchases_import"),
    path("moderation/agec/<int:year>/purchases/import/mapping/", purchases.import_mapping,
         name="agec_purchases_mapping"),
    path("moderation/agec/<int:year>/donations/", purchases.donations, name="agec_donations"),
    path("moderation/agec/donations/<int:pk>/delete/", purchases.donation_delete,
         name="agec_donation_delete"),
    path("moderation/agec/history/", purchases.history, name="agec_history"),
    # Authority admins
    path("settings/statistics/", statistics.stats_settings, name="stats_settings"),
]
