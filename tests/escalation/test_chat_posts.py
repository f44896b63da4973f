"""Posting an escalation to the team's Slack or Teams channel (SPEC 2.5): the incoming-webhook
formats, a local server receiving the post, and loopback targets refused unless allowed."""

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cogest.models import Team
from escalation import outbound
from escalation.models import EscalationEvent, EscalationRule
from escalation.tasks import chat_post_task
from tickets.services import ticket_create


@pytest.fixture
def channel():
    """A local incoming-webhook endpoint that records what it receives."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers["Content-Length"])
            received.append(json.loads(self.rfile.read(length)))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def escalated(users, url):
    team = Team.objects.get(name="Service Desk")
    team.chat_webhook_url = url
    team.save()
    EscalationRule.objects.create(
        name="P1 to the channel", trigger="created", priorities=[1], post_to_channel=True
    )
    ticket = ticket_create(
        by=users["ana"], type="incident", title="Payroll down", functional_area="systems",
        impact="high", urgency="high",
    )  # fmt: skip
    return EscalationEvent.objects.get(ticket=ticket), ticket


def test_the_post_reaches_the_channel_in_slack_format(demo, users, channel, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = True
    url, received = channel
    event, ticket = escalated(users, url)
    assert chat_post_task.run(event.pk) == "posted: 200"
    [payload] = received
    assert ticket.number in payload["text"] and "P1 to the channel" in payload["text"]
    assert f"/tickets/{ticket.number}/" in payload["text"]


def test_a_loopback_channel_is_refused_unless_allowed(demo, users, channel):
    url, received = channel
    event, _ticket = escalated(users, url)
    assert chat_post_task.run(event.pk).startswith("refused")
    assert received == []


def test_teams_gets_a_message_card():
    payload = outbound.chat_payload(
        "https://contoso.webhook.office.com/webhookb2/x", title="INC-1 Down", text="P1",
        link="https://cogest.example/tickets/INC-1/",
    )  # fmt: skip
    assert payload["@type"] == "MessageCard" and payload["title"] == "INC-1 Down"
    assert payload["potentialAction"][0]["targets"][0]["uri"].endswith("/tickets/INC-1/")
    slack = outbound.chat_payload(
        "https://hooks.slack.com/services/x", title="t", text="x", link="l"
    )
    assert set(slack) == {"text"}


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "http://127.0.0.1:99999/x", "http:///nohost", "not a url"]
)
def test_bad_targets_are_refused(url, settings):
    settings.OUTBOUND_ALLOW_PRIVATE = False
    with pytest.raises(outbound.RefusedTarget):
        outbound.check_target(url)
