"""The core workflow, driven through the Python client generated from /openapi.json.

Usage: PYTHONPATH=<folder holding reminder_client> python api_workflow.py BASE_URL

Signs up, signs in, adds a client and imports another from CSV, previews a monthly reminder
as a draft, writes it for both and previews it saved, checks the typed answers (the schedule comes back as its own model), sends the
reminder now and waits until each message is recorded as sent, then reads the dashboard.
Every call goes through the generated models and functions; an answer the client cannot
parse, or one that is not what the workflow expects, fails the run.
"""

import io
import sys
import time
import uuid

from reminder_client import AuthenticatedClient, Client
from reminder_client.api.auth import issue_token, register
from reminder_client.api.clients import create_client, import_clients, list_clients
from reminder_client.api.dashboard import summary
from reminder_client.api.notifications import list_notifications
from reminder_client.api.reminders import (
    create_reminder,
    get_reminder,
    preview_draft,
    preview_saved,
    send_reminder,
)
from reminder_client.models import (
    Channel,
    CreateClientRequest,
    CreateReminderRequest,
    ImportReport,
    ListResponseClientResponse,
    ListResponseNotificationResponse,
    NotificationStatus,
    PreviewReminderRequest,
    Problem,
    RecurringSchedule,
    RecurringScheduleType,
    RegisterRequest,
    RegisterResponse,
    ReminderPreviewResponse,
    ReminderResponse,
    SendResponse,
    SummaryResponse,
    TokenForm,
    TokenPair,
)
from reminder_client.types import File

# How long the queued messages may take to be sent by the running server.
SEND_DEADLINE_SECONDS = 30


def expect(answer, model):
    """The answer, which must be of `model` (a Problem or None means the call failed)."""
    if not isinstance(answer, model):
        detail = answer.to_dict() if isinstance(answer, Problem) else answer
        raise SystemExit(f"expected {model.__name__}, got {detail!r}")
    return answer


def main(base_url: str) -> None:
    anonymous = Client(base_url=base_url, raise_on_unexpected_status=True)
    email = f"owner-{uuid.uuid4().hex[:8]}@workflow.test"
    password = "Sturdy-Lamp-42"
    account = expect(
        register.sync(
            client=anonymous,
            body=RegisterRequest(
                business_name="Workflow & Co",
                email=email,
                full_name="Olive Owner",
                password=password,
                timezone="Europe/London",
            ),
        ),
        RegisterResponse,
    )
    tokens = expect(
        issue_token.sync(client=anonymous, body=TokenForm(username=email, password=password)),
        TokenPair,
    )
    api = AuthenticatedClient(
        base_url=base_url, token=tokens.access_token, raise_on_unexpected_status=True
    )

    added = create_client.sync(
        client=api,
        body=CreateClientRequest(name="Ann Archer", email="ann@clients.test"),
    )
    csv = b"name,email\nBob Baker,bob@clients.test\n"
    report = expect(
        import_clients.sync(
            client=api, body=File(payload=io.BytesIO(csv), mime_type="text/csv")
        ),
        ImportReport,
    )
    assert report.created == 1, report
    clients = expect(list_clients.sync(client=api), ListResponseClientResponse)
    assert clients.total == 2, clients
    ids = sorted(c.id for c in clients.items)
    assert added.id in ids

    typo = CreateClientRequest(name="Cy Typo")
    typo.additional_properties["emial"] = "cy@clients.test"
    refused = create_client.sync_detailed(client=api, body=typo)
    assert refused.status_code == 422, refused
    assert [e.field for e in refused.parsed.errors] == ["emial"], refused.parsed

    monthly = RecurringSchedule(
        type_=RecurringScheduleType.RECURRING,
        rrule="FREQ=MONTHLY;BYMONTHDAY=15",
        start="2031-01-15T09:00:00",
        timezone="Europe/London",
    )
    subject = "VAT return due for {{ client.name }}"
    body = "Hello {{ client.name }}, your VAT return is due on the 15th."
    draft = expect(
        preview_draft.sync(
            client=api,
            body=PreviewReminderRequest(
                client_id=added.id,
                title="VAT return",
                subject=subject,
                body=body,
                channels=[Channel.EMAIL],
                schedule=monthly,
            ),
        ),
        ReminderPreviewResponse,
    )
    assert draft.messages[0].body.startswith("Hello Ann Archer,"), draft.messages
    assert draft.occurrences[0].isoformat().startswith("2031-01-15T09:00:00"), draft
    reminder = expect(
        create_reminder.sync(
            client=api,
            body=CreateReminderRequest(
                title="VAT return",
                subject=subject,
                body=body,
                channels=[Channel.EMAIL],
                schedule=monthly,
                client_ids=ids,
            ),
        ),
        ReminderResponse,
    )
    saved = expect(
        preview_saved.sync(reminder.id, client=api, client_id=added.id),
        ReminderPreviewResponse,
    )
    assert saved.messages[0].subject == "VAT return due for Ann Archer", saved.messages
    again = expect(get_reminder.sync(reminder.id, client=api), ReminderResponse)
    assert isinstance(again.schedule, RecurringSchedule), again.schedule
    assert again.schedule.rrule == "FREQ=MONTHLY;BYMONTHDAY=15", again.schedule

    sent = expect(
        send_reminder.sync(reminder.id, client=api, idempotency_key=uuid.uuid4().hex),
        SendResponse,
    )
    assert len(sent.notifications) == 2, sent
    deadline = time.monotonic() + SEND_DEADLINE_SECONDS
    while True:
        page = expect(
            list_notifications.sync(client=api, reminder_id=reminder.id),
            ListResponseNotificationResponse,
        )
        statuses = sorted(n.status for n in page.items)
        if statuses == [NotificationStatus.SENT] * 2:
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"not sent within {SEND_DEADLINE_SECONDS} s: {statuses}")
        time.sleep(0.2)

    figures = expect(summary.sync(client=api), SummaryResponse)
    assert figures.notifications.total == 2, figures.notifications
    print(
        f"workflow passed for business {account.business.id}: 2 clients, reminder "
        f"{reminder.id}, 2 messages sent"
    )


if __name__ == "__main__":
    main(sys.argv[1])
