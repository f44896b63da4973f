"""Pages of the CMDB: runbooks (internal UI at ``/cmdb/``, partner portal at ``/partner/cmdb/``).

Both audiences get the same page names in their namespace (``cmdb:runbook-detail``,
``partner-cmdb:runbook-detail``); review tasks belong to internal owners, so closing one is an
internal page only.
"""

from django.urls import path

from cmdb.views import runbooks as views


def _patterns(side: str) -> list:
    v = {
        name: getattr(views, f"{side}{name}").as_view()
        for name in (
            "RunbookListView",
            "RunbookCreateView",
            "RunbookPreviewView",
            "RunbookCIOptionsView",
            "RunbookDetailView",
            "RunbookEditView",
            "RunbookAcknowledgeView",
            "RunbookVersionView",
            "CIRunbooksView",
        )
    }
    return [
        path("runbooks/", v["RunbookListView"], name="runbook-list"),
        path("runbooks/new/", v["RunbookCreateView"], name="runbook-create"),
        path("runbooks/preview/", v["RunbookPreviewView"], name="runbook-preview"),
        path("runbooks/ci-options/", v["RunbookCIOptionsView"], name="runbook-ci-options"),
        path("runbooks/<int:pk>/", v["RunbookDetailView"], name="runbook-detail"),
        path("runbooks/<int:pk>/edit/", v["RunbookEditView"], name="runbook-edit"),
        path(
            "runbooks/<int:pk>/acknowledge/",
            v["RunbookAcknowledgeView"],
            name="runbook-acknowledge",
        ),
        path(
            "runbooks/<int:pk>/versions/<int:number>/",
            v["RunbookVersionView"],
            name="runbook-version",
        ),
        path("runbooks/ci/<int:pk>/", v["CIRunbooksView"], name="ci-runbooks"),
    ]


urlpatterns: list = [
    *_patterns("Internal"),
    path(
        "runbooks/review-tasks/<int:pk>/done/",
        views.InternalRunbookReviewDoneView.as_view(),
        name="runbook-review-done",
    ),
]
partner_urlpatterns: list = _patterns("Partner")
