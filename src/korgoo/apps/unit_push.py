"""The outbox's Web Push channel: a console user's message (the alert offered
to his unit) to every browser he subscribed in the police view
(`store.user_push`), signed with the apps' VAPID key (`apps.push`). It lives
beside the apps' push, which the notification layer may not import.

The notification's address is the user's name; his subscriptions are read at
send time. Taken by one push service counts as sent (a push service gives no
receipt from the phone). A subscription the push service says is gone (404,
410), or whose endpoint is no longer taken, is dropped. With no subscription
left the channel refuses for good, so the outbox fails over at once to the
next channel (SMS, e-mail); when every push service failed it is tried again
like any channel.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import sqlalchemy as sa
import structlog

from korgoo.apps.push import Gone, Pusher, PushFailed
from korgoo.notify.channels import ChannelError, Outgoing, Sent
from korgoo.notify.model import Channel
from korgoo.store import user_push

log = structlog.get_logger("korgoo.notify")
EVENT = "unit_alert"  # what the console's service worker shows as a notification


class WebPush:
    channel = Channel.PUSH

    def __init__(self, db: sa.Engine, pusher: Callable[[], Awaitable[Pusher]]) -> None:
        self.db = db
        self.pusher = pusher

    async def send(self, message: Outgoing) -> Sent:
        subs = await asyncio.to_thread(user_push.of_user, self.db, message.to)
        if not subs:
            raise ChannelError(f"{message.to} has no browser subscribed", permanent=True)
        pusher = await self.pusher()
        data = {
            "id": message.id,
            "title": message.subject,
            "body": message.body,
            "url": message.link,
            "lang": message.language,
        }
        taken, gone, errors = 0, 0, []
        for sub in subs:
            try:
                await pusher.send(sub, EVENT, data)
                taken += 1
            except Gone as exc:
                gone += 1
                await asyncio.to_thread(user_push.drop, self.db, sub.endpoint)
                log.info("user_push_dropped", user=message.to, reason=str(exc)[:200])
            except PushFailed as exc:
                errors.append(str(exc)[:200])
        if taken:
            return Sent(f"push:{message.id}", delivered=False)
        if gone == len(subs):
            raise ChannelError(f"every browser of {message.to} unsubscribed", permanent=True)
        raise ChannelError(f"push: {'; '.join(errors)}")
