"""Pages of the CMDB. One set of views serves both audiences: internal staff under ``/cmdb/``
(URL namespace ``cmdb``), a provider's people under ``/partner/cmdb/`` (``partner-cmdb``)."""

from .items import CIDetailView, CIGraphView, CIListView, CIPickerView, CIRelationsView
from .items_common import InternalSide, PartnerSide, sided
from .items_edit import CIAttributeFieldsView, CICreateView, CIEditView

#: URL name → view class shared by both sides (``sided`` adds the audience).
CI_VIEWS = {
    "ci-list": CIListView,
    "ci-create": CICreateView,
    "ci-attribute-fields": CIAttributeFieldsView,
    "ci-picker": CIPickerView,
    "ci-detail": CIDetailView,
    "ci-edit": CIEditView,
    "ci-relations": CIRelationsView,
    "ci-graph": CIGraphView,
}
INTERNAL_CI_VIEWS = {name: sided(cls)[0] for name, cls in CI_VIEWS.items()}
PARTNER_CI_VIEWS = {name: sided(cls)[1] for name, cls in CI_VIEWS.items()}

__all__ = [
    "CI_VIEWS",
    "INTERNAL_CI_VIEWS",
    "PARTNER_CI_VIEWS",
    "CIAttributeFieldsView",
    "CICreateView",
    "CIDetailView",
    "CIEditView",
    "CIGraphView",
    "CIListView",
    "CIPickerView",
    "CIRelationsView",
    "InternalSide",
    "PartnerSide",
]
