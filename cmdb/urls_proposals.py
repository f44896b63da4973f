"""Pages of the CMDB: providers' change proposals, reviewed by the internal side (approve,
reject) and followed by the proposing provider in the portal (withdraw)."""

from django.urls import path

from cmdb.views import proposals as views

urlpatterns: list = [
    path("proposals/", views.ProposalListView.as_view(), name="proposal-list"),
    path("proposals/<int:pk>/", views.ProposalDetailView.as_view(), name="proposal-detail"),
    path(
        "proposals/<int:pk>/approve/",
        views.ProposalApproveView.as_view(),
        name="proposal-approve",
    ),
    path(
        "proposals/<int:pk>/reject/",
        views.ProposalRejectView.as_view(),
        name="proposal-reject",
    ),
]
partner_urlpatterns: list = [
    path("proposals/", views.PartnerProposalListView.as_view(), name="proposal-list"),
    path(
        "proposals/<int:pk>/",
        views.PartnerProposalDetailView.as_view(),
        name="proposal-detail",
    ),
    path(
        "proposals/<int:pk>/withdraw/",
        views.PartnerProposalWithdrawView.as_view(),
        name="proposal-withdraw",
    ),
]
