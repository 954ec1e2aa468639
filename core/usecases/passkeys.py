"""Passkey use cases: enrol after the payment password, verify a payment on the page instead.

A failed passkey check of a payment counts toward the same lock-out as a wrong payment
password (core.usecases.pins): the try is counted before it is checked (core.usecases.tries).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import NoReturn

from core.domain.errors import (
    AlreadyPaid,
    NotAllowed,
    NotFound,
    OrderClosed,
    OrderFull,
    Unavailable,
)
from core.domain.model import OrderState, SubOrderState
from core.domain.passkeys import (
    CHALLENGE_S,
    LINK_S,
    MAX_PASSKEYS,
    Challenge,
    Passkey,
    PasskeyRefused,
    PayerVerified,
    Purpose,
    VerifyLink,
    b64url,
    check_challenge,
    counter_advanced,
    device_name,
    intended_sub,
    refused,
    token_hash,
    unb64url,
)
from core.domain.tries import Failed, Wrong, locked_out
from core.ports.store import PasskeyCeremony
from core.usecases.deps import Deps, UseCases
from core.usecases.pins import Pins, pin_rules
from core.usecases.tries import Tries

log = logging.getLogger(__name__)

USER_NAME = "Chipin payer"  # what the device lists the passkey under: no personal data


class Passkeys(UseCases):
    """Passkeys: enrolment, and paying with one through a page link."""

    def __init__(self, deps: Deps, tries: Tries, pins: Pins) -> None:
        super().__init__(deps)
        self._tries = tries
        self._pins = pins

    @property
    def passkeys_on(self) -> bool:
        """Whether passkeys can work here (CHIPIN_PUBLIC_URL is https or localhost)."""
        return self._d.passkeys is not None

    def _ceremony(self) -> PasskeyCeremony:
        found = self._d.passkeys
        if found is None:
            raise Unavailable("passkeys need an https CHIPIN_PUBLIC_URL (or localhost)")
        return found

    async def passkeys_of(self, payer_ref: str) -> list[Passkey]:
        async with self._d.store.transaction() as tx:
            return await tx.passkeys.passkeys_of(payer_ref)

    async def remove_passkey(self, payer_ref: str, passkey_id: str) -> bool:
        async with self._d.store.transaction() as tx:
            return await tx.passkeys.remove_passkey(payer_ref, passkey_id)

    async def open_enrolment(self, payer_ref: str, pin: str) -> str:
        """A page link to enrol a passkey, once the payment password is right."""
        self._ceremony()
        await self._pins.verify_pin(payer_ref, pin)
        if len(await self.passkeys_of(payer_ref)) >= MAX_PASSKEYS:
            raise NotAllowed(f"at most {MAX_PASSKEYS} passkeys; remove one first")
        return await self._new_link(VerifyLink("", payer_ref, Purpose.ENROL, self._until(LINK_S)))

    async def open_passkey_check(self, payer_ref: str, order_token: str, aliases: list[str]) -> str:
        """A page link to verify paying this order with a passkey, bound to the payer's part."""
        self._ceremony()
        d = self._d
        async with d.store.transaction() as tx:
            keys = await tx.passkeys.passkeys_of(payer_ref)
            auth = await tx.payers.get_payer_auth(payer_ref)
            order = await tx.orders.get_order_by_token(order_token)
            subs = await tx.sub_orders.get_sub_orders(order.id) if order is not None else []
        if not keys:
            raise NotAllowed("no passkey is enrolled yet")
        locked = locked_out(auth.locked_until if auth else None, d.clock.now())
        if locked is not None:
            raise locked
        if order is None:
            raise NotFound("no such order")
        if order.state != OrderState.OPEN:
            raise OrderClosed(f"the order is {order.state}", state=order.state.value)
        if any(s.payer_ref == payer_ref and s.state == SubOrderState.PAID for s in subs):
            raise AlreadyPaid("you have paid for this order already")
        sub = intended_sub(subs, payer_ref, aliases)
        if sub is None:
            raise OrderFull("every part is taken")
        link = VerifyLink(
            "", payer_ref, Purpose.PAY, self._until(LINK_S), order.id, order.token, sub.id
        )
        return await self._new_link(link)

    async def passkey_link(self, token: str) -> VerifyLink:
        """The link behind a page's token, while it may still be used."""
        async with self._d.store.transaction() as tx:
            link = await tx.passkeys.get_passkey_link(token_hash(token))
        if link is None or link.spent or link.expires_at <= self._d.clock.now():
            raise NotFound("this link has expired or was used; ask the bot for a new one")
        return link

    async def passkey_options(self, token: str) -> str:
        """A fresh challenge for the page's ceremony, as navigator.credentials options."""
        ceremony = self._ceremony()
        link = await self.passkey_link(token)
        raw = self._d.ids.new_token().encode()
        challenge = Challenge(
            b64url(raw),
            link.token_hash,
            link.payer_ref,
            link.sub_order_id,
            self._until(CHALLENGE_S),
        )
        async with self._d.store.transaction() as tx:
            keys = await tx.passkeys.passkeys_of(link.payer_ref)
            auth = await tx.payers.get_payer_auth(link.payer_ref)
            await tx.passkeys.add_passkey_challenge(challenge)
        ids = [k.credential_id for k in keys]
        if link.purpose == Purpose.ENROL:
            handle = token_hash(challenge.value)[:32].encode()  # opaque, never the user id
            return ceremony.registration_options(
                challenge=raw, user_handle=handle, user_name=USER_NAME, exclude=ids
            )
        locked = locked_out(auth.locked_until if auth else None, self._d.clock.now())
        if locked is not None:
            raise locked
        if not ids:
            raise NotAllowed("no passkey is enrolled yet")
        return ceremony.authentication_options(challenge=raw, allow=ids)

    async def finish_enrolment(self, token: str, response: str, user_agent: str) -> Passkey:
        """Store the credential the page registered, if it answers a live challenge."""
        ceremony = self._ceremony()
        link = await self._link_for(token, Purpose.ENROL)
        async with self._d.store.transaction() as tx:
            found = await tx.passkeys.take_passkey_challenge(ceremony.challenge_of(response))
        now = self._d.clock.now()
        challenge = check_challenge(found, link, now)
        new = ceremony.verify_registration(response, unb64url(challenge.value))
        key = Passkey(
            id=self._d.ids.new_id("pk"),
            payer_ref=link.payer_ref,
            credential_id=new.credential_id,
            public_key=new.public_key,
            sign_count=new.sign_count,
            device_name=device_name(user_agent),
            created_at=now,
        )
        async with self._d.store.transaction() as tx:
            if not await tx.passkeys.spend_passkey_link(link.token_hash, now):
                raise refused("unknown_challenge")
            if len(await tx.passkeys.passkeys_of(link.payer_ref)) >= MAX_PASSKEYS:
                raise NotAllowed(f"at most {MAX_PASSKEYS} passkeys; remove one first")
            await tx.passkeys.add_passkey(key)
        log.info("passkey %s enrolled", key.id)
        return key

    async def finish_passkey_check(self, token: str, response: str) -> None:
        """Check the page's assertion; on success the bot goes on as after the password.

        Any failure counts as a wrong password; PasskeyRefused says why and how many tries
        are left, LockedOut when this one locked the payer out.
        """
        ceremony = self._ceremony()
        link = await self._link_for(token, Purpose.PAY)
        answer = await self._tries.guarded_try(
            pin_rules(link.payer_ref), lambda: self._assertion(ceremony, link, response)
        )
        if isinstance(answer, Failed):
            _refuse(answer)
        await self._verified(link)

    async def passkey_not_verified(self, token: str, challenge_value: str) -> NoReturn:
        """The device refused to verify the user (the page says so): for a payment, that
        counts as a wrong password; the challenge is used up either way."""
        link = await self.passkey_link(token)
        if link.purpose == Purpose.ENROL:
            async with self._d.store.transaction() as tx:
                found = await tx.passkeys.take_passkey_challenge(challenge_value)
            check_challenge(found, link, self._d.clock.now())
            raise refused("not_verified")

        async def check() -> Wrong:
            try:
                check_challenge(await self._take_challenge(challenge_value), link, self._now())
            except PasskeyRefused as exc:
                return Wrong(exc)
            return Wrong(refused("not_verified"))

        answer = await self._tries.guarded_try(pin_rules(link.payer_ref), check)
        _refuse(answer)

    async def _assertion(
        self, ceremony: PasskeyCeremony, link: VerifyLink, response: str
    ) -> bool | Wrong:
        """The check of a payment's passkey assertion: the challenge is used up, then the
        key, its signature and its counter are checked and the link spent, or Wrong."""
        try:
            value = ceremony.challenge_of(response)
        except PasskeyRefused as exc:
            return Wrong(exc)  # not even a response: still a try, and it failed
        try:
            challenge = check_challenge(await self._take_challenge(value), link, self._now())
            key = await self._verified_key(ceremony, link, response, challenge)
        except PasskeyRefused as exc:
            return Wrong(exc)
        if not await self._use(link, key):
            # A parallel check with the same key or link won; this one's counter was ahead of
            # the one it read, so it is a lost race (two tabs), not a copied key.
            return Wrong(refused("unknown_challenge"))
        return True

    async def _take_challenge(self, value: str) -> Challenge | None:
        async with self._d.store.transaction() as tx:
            return await tx.passkeys.take_passkey_challenge(value)

    async def _verified_key(
        self, ceremony: PasskeyCeremony, link: VerifyLink, response: str, challenge: Challenge
    ) -> tuple[Passkey, int]:
        async with self._d.store.transaction() as tx:
            key = await tx.passkeys.passkey_by_credential(ceremony.credential_of(response))
        if key is None or key.payer_ref != link.payer_ref:
            raise refused("unknown_passkey")
        count = ceremony.verify_authentication(response, unb64url(challenge.value), key.public_key)
        if not counter_advanced(key.sign_count, count):
            # A copy of the key signed as well: the authenticator may have been cloned.
            log.warning(
                "passkey %s: sign counter went back from %d to %d; refused",
                key.id,
                key.sign_count,
                count,
            )
            raise refused("counter_went_back")
        return key, count

    async def _use(self, link: VerifyLink, key: tuple[Passkey, int]) -> bool:
        """Store the key's new counter and spend the link, atomically; False if a parallel
        check got there first."""
        passkey, count = key
        now = self._now()
        async with self._d.store.transaction() as tx:
            used = await tx.passkeys.use_passkey(passkey.id, passkey.sign_count, count, now)
            return used and await tx.passkeys.spend_passkey_link(link.token_hash, now)

    async def _verified(self, link: VerifyLink) -> None:
        if link.order_id is None or link.sub_order_id is None or link.order_token is None:
            return
        event = PayerVerified(
            order_id=link.order_id,
            at=self._now(),
            payer_ref=link.payer_ref,
            sub_order_id=link.sub_order_id,
            order_token=link.order_token,
        )
        await self._d.publish([event])

    async def _link_for(self, token: str, purpose: Purpose) -> VerifyLink:
        link = await self.passkey_link(token)
        if link.purpose != purpose:
            raise NotFound("this link is for something else")
        return link

    async def _new_link(self, draft: VerifyLink) -> str:
        token = self._d.ids.new_token()
        link = VerifyLink(
            token_hash(token),
            draft.payer_ref,
            draft.purpose,
            draft.expires_at,
            draft.order_id,
            draft.order_token,
            draft.sub_order_id,
        )
        async with self._d.store.transaction() as tx:
            await tx.passkeys.add_passkey_link(link, self._d.clock.now())
        return token

    def _until(self, seconds: int) -> datetime:
        return self._d.clock.now() + timedelta(seconds=seconds)

    def _now(self) -> datetime:
        return self._d.clock.now()


def _refuse(failed: Failed) -> NoReturn:
    """LockedOut if the failure locked the payer, else PasskeyRefused with the tries left."""
    exc = failed.error
    if failed.locked is not None:
        raise failed.locked from exc
    reason = exc.fields.get("reason")
    raise PasskeyRefused(exc.message, reason=reason, tries_left=failed.tries_left) from exc
