"""URLs of the transport pages, under /logistics/ on an authority's host, namespace
`logistics` (composed in collectivrecup/urls_tenant.py)."""

from django.urls import path

from exchange.logistics import views

app_name = "logistics"

urlpatterns = [
    # Agents
    path("", views.my_transports, name="my_transports"),
    path("listings/<int:pk>/request/", views.transport_create, name="transport_create"),
    path("requests/<int:pk>/", views.transport_detail, name="transport_detail"),
    path("requests/<int:pk>/cancel/", views.transport_cancel, name="transport_cancel"),
    # The logistics team
    path("board/", views.board, name="board"),
    path("rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round_detail"),
    path("rounds/<int:pk>/add/", views.round_add, name="round_add"),
    path("rounds/<int:pk>/sheet.pdf", views.round_sheet_view, name="round_sheet"),
    path("requests/<int:pk>/picked-up/", views.transport_picked_up,
         name="transport_picked_up"),
    path("requests/<int:pk>/delivered/", views.transport_delivered,
         name="transport_delivered"),
    path("requests/<int:pk>/unplan/", views.transport_unplan, name="transport_unplan"),
    path("requests/<int:pk>/hand-over/", views.transport_hand_over,
         name="transport_hand_over"),
    path("requests/<int:pk>/refuse/", views.transport_refuse, name="transport_refuse"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:pk>/token/", views.team_token, name="team_token"),
    # A team's calendar at its secret address (no sign-in)
    path("feed/<str:token>.ics", views.team_feed, name="team_feed"),
]
