"""URLs of the statistics pages on an authority's host, under /listings/ beside the
exchange's pages (collectivrecup/urls_tenant.py). Names (namespace `statistics`) are the
contract between views, templates, e-mails and tests."""

from django.urls import path

from analytics.views import reports, statistics

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
    # Authority admins
    path("settings/statistics/", statistics.stats_settings, name="stats_settings"),
]
