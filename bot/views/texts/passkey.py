"""What the payer reads about passkeys: /passkey, enrolment, paying with fingerprint or face."""

from __future__ import annotations

from collections.abc import Sequence

from bot.views.i18n import Translator
from bot.views.texts.common import esc
from bot.views.texts.payer import pin_dots
from bot.views.timefmt import stamp
from core.domain.passkeys import Passkey


def unavailable(t: Translator) -> str:
    """Why there is no fingerprint / face option here (the bot says it when asked)."""
    return t.gettext(
        "👆 Fingerprint and face verification is off on this Chipin: browsers allow it only "
        "on an {https} address ({setting}), or on {localhost} for development. "
        "Please pay with your payment password."
    ).format(https="https", setting="CHIPIN_PUBLIC_URL", localhost="localhost")


def need_pin(t: Translator) -> str:
    return t.gettext(
        "Set a payment password first with /pin: fingerprint and face are added after it "
        "is checked."
    )


def listing(t: Translator, keys: Sequence[Passkey]) -> str:
    """The payer's passkeys: device, when added, when last used."""
    if not keys:
        return t.gettext(
            "👆 You have no passkey yet. Add one to confirm payments with this phone's "
            "fingerprint or face instead of typing your password."
        )
    lines = [t.gettext("👆 Your passkeys (fingerprint / face):")]
    for n, key in enumerate(keys, start=1):
        used = (
            t.gettext("last used {when}").format(when=stamp(t, key.last_used_at))
            if key.last_used_at
            else t.gettext("never used")
        )
        lines.append(
            t.gettext("{n}. {device}, added {when}, {used}").format(
                n=n, device=esc(key.device_name), when=stamp(t, key.created_at), used=used
            )
        )
    return "\n".join(lines)


def add_label(t: Translator) -> str:
    return t.gettext("➕ Add fingerprint / face")


def remove_label(t: Translator, n: int) -> str:
    return t.gettext("🗑 Remove {n}").format(n=n)


def removed(t: Translator, device: str) -> str:
    return t.gettext("Removed the passkey of {device}.").format(device=esc(device))


def gone(t: Translator) -> str:
    return t.gettext("That passkey is not there any more.")


def too_many(t: Translator) -> str:
    return t.gettext("You have as many passkeys as Chipin keeps; remove one first.")


def enrol_pin(t: Translator, entered: int = 0) -> str:
    return t.gettext("🔐 Enter your payment password to add fingerprint / face.\n\n{dots}").format(
        dots=pin_dots(entered)
    )


def enrol_link(t: Translator) -> str:
    return t.gettext(
        "✅ Password checked. Open the page on this phone and confirm with your fingerprint "
        "or face. The link works once, for 10 minutes."
    )


def offer_enrolment(t: Translator) -> str:
    """After the payment password is set."""
    return t.gettext(
        "You can also confirm payments with your fingerprint or face: add it now, or "
        "later with /passkey."
    )


def offer_check(t: Translator) -> str:
    """Under the keypad, for a payer with a passkey."""
    return t.gettext("Or confirm with your fingerprint or face instead:")


def check_label(t: Translator) -> str:
    return t.gettext("👆 Fingerprint / face")


def check_link(t: Translator) -> str:
    return t.gettext(
        "Open the page and confirm with your fingerprint or face. The link works once, for "
        "10 minutes; the keypad works too."
    )


def page_label(t: Translator) -> str:
    return t.gettext("👆 Open the page")


def no_passkey(t: Translator) -> str:
    return t.gettext("You have no passkey yet: add one with /passkey.")


def verified(t: Translator) -> str:
    return t.gettext("✅ Verified with fingerprint / face.")


def verified_late(t: Translator) -> str:
    """Verified on the page, but this chat has moved on (or the bot restarted)."""
    return t.gettext("✅ Verified. Please tap Pay on the order again to go on.")


def verified_after_password(t: Translator) -> str:
    """Verified on the page after the payer had gone on with the keypad."""
    return t.gettext("✅ Verified. You went on with your payment password already.")
