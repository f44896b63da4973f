"""Managers see their own organization's workload, and only theirs."""

from tickets.services import handoff_accept, ticket_handoff
from tickets.workload import workload_for_manager


def test_provider_manager_sees_acme_workload_only(
    new_ticket, users, demo, django_assert_max_num_queries
):
    for i in range(3):
        ticket = new_ticket(title=f"Switch {i}", urgency="high", impact="high")
        ticket_handoff(
            ticket=ticket, by=users["ana"], team=demo.teams["acme-networks"], summary="L1 done"
        )
        if i == 0:
            handoff_accept(ticket=ticket, by=users["pablo"])
    new_ticket(functional_area="systems")  # Northwind's own
    with django_assert_max_num_queries(8):
        loads = workload_for_manager(user=users["lucia"])
    by_team = {load.team.slug: load for load in loads}
    assert set(by_team) == {"acme-networks", "acme-security"}
    networks = by_team["acme-networks"]
    assert (networks.open, networks.unassigned, networks.by_priority[1]) == (3, 2, 3)
    assert [(p.username, n) for p, n in networks.by_person] == [("pablo", 1)]
    internal = {load.team.slug: load.open for load in workload_for_manager(user=users["marta"])}
    assert internal == {"internal-systems": 0, "service-desk": 1}
    assert workload_for_manager(user=users["pablo"]) == []
