"""Connected accounts (`acct_`): the API's create, retrieve, update, delete and list, and
the changes onboarding and the test control make to them (each announced by
`account.updated`, see hooks)."""

from __future__ import annotations

import copy
import time
from typing import Any

from localstripe.resources import StripeObject

from tests.gateways.connect_layer import hooks
from tests.gateways.connect_layer.common import (
    Listed,
    as_bool,
    as_hash,
    as_int,
    as_list,
    as_text,
    fail,
    metadata_merged,
    new_id,
    only,
    unknown,
)

_EURO = "AT BE CY DE EE ES FI FR GR HR IE IT LT LU LV MT NL PT SI SK"
_OTHERS = (
    "US:usd GB:gbp CA:cad AU:aud NZ:nzd JP:jpy SG:sgd HK:hkd CH:chf LI:chf SE:sek NO:nok "
    "DK:dkk PL:pln CZ:czk HU:huf RO:ron BG:bgn MX:mxn BR:brl AE:aed TH:thb MY:myr GI:gbp"
)
CURRENCY_OF = {c: "eur" for c in _EURO.split()} | dict(p.split(":") for p in _OTHERS.split())

CREATE_PARAMS = frozenset(
    {
        "business_profile",
        "business_type",
        "capabilities",
        "controller",
        "country",
        "default_currency",
        "email",
        "metadata",
        "tos_acceptance",
        "type",
    }
)
UPDATE_PARAMS = CREATE_PARAMS - {"controller", "country", "type"}
CONTROL_PARAMS = frozenset(
    {
        "capabilities",
        "charges_enabled",
        "current_deadline",
        "currently_due",
        "details_submitted",
        "disabled_reason",
        "eventually_due",
        "past_due",
        "payouts_enabled",
    }
)
PROFILE_FIELDS = ("mcc", "name", "product_description", "support_email", "support_phone", "url")
TOS_FIELDS = ("date", "ip", "service_agreement", "user_agent")
BUSINESS_TYPES = ("company", "government_entity", "individual", "non_profit")
STATUSES = ("active", "inactive", "pending")
PAST_DUE = "requirements.past_due"
DOCUMENT = "individual.verification.document"

# type -> (stripe_dashboard.type, fees.payer, losses.payments, requirement_collection)
_LEGACY = {
    "express": ("express", "application_express", "application", "stripe"),
    "standard": ("full", "account", "stripe", "stripe"),
    "custom": ("none", "application_custom", "application", "application"),
}


def fresh_due(country: str) -> list[str]:
    """What Stripe asks of a new account before it may take charges or receive transfers."""
    due = [
        "business_profile.mcc",
        "business_profile.url",
        "business_type",
        "external_account",
        "individual.address.city",
        "individual.address.line1",
        "individual.address.postal_code",
        "individual.dob.day",
        "individual.dob.month",
        "individual.dob.year",
        "individual.email",
        "individual.first_name",
        "individual.last_name",
        "individual.phone",
        "tos_acceptance.date",
        "tos_acceptance.ip",
    ]
    if country == "US":
        due += ["individual.address.state", "individual.ssn_last_4"]
    return sorted(due)


def requirements(
    currently_due: list[str], past_due: list[str], reason: str | None
) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(currently_due),
        "disabled_reason": reason,
        "errors": [],
        "eventually_due": sorted(set(currently_due) | set(past_due)),
        "past_due": list(past_due),
        "pending_verification": [],
    }


def can_receive_transfers(account: Any) -> bool:
    return bool(account.capabilities.get("transfers") == "active")


def snapshot(account: Any) -> dict[str, Any]:
    found: dict[str, Any] = copy.deepcopy(account._export())
    return found


class Account(Listed, StripeObject):  # type: ignore[misc]  # localstripe is untyped
    object = "account"
    _id_prefix = "acct_"
    _noun = "account"

    def __init__(self, **params: Any) -> None:
        only(params, CREATE_PARAMS)
        kind, controller = _controller(params.get("type"), params.get("controller"))
        country = _country(params.get("country"))
        currency = _currency(params.get("default_currency")) or CURRENCY_OF[country]
        email = _email(params.get("email"))
        capabilities = _capabilities(params.get("capabilities"), {}, active=False)
        profile = _profile(params.get("business_profile"), dict.fromkeys(PROFILE_FIELDS))
        business_type = _business_type(params.get("business_type"))
        tos = _tos(params.get("tos_acceptance"), dict.fromkeys(TOS_FIELDS))
        metadata = metadata_merged({}, params.get("metadata"))
        due = fresh_due(country)
        if business_type is not None:
            due.remove("business_type")
        # All exceptions must be raised before this point (localstripe stores on __init__).
        super().__init__(id=new_id("acct_", 16))
        self.business_profile = profile
        self.business_type = business_type
        self.capabilities = capabilities
        self.charges_enabled = False
        self.controller = controller
        self.country = country
        self.default_currency = currency
        self.details_submitted = False
        self.email = email
        self.future_requirements = requirements([], [], None)
        self.metadata = metadata
        self.payouts_enabled = False
        self.requirements = requirements(due, due, PAST_DUE)
        self.tos_acceptance = tos
        self.type = kind

    @classmethod
    def _api_update(cls, id: str, **data: Any) -> Any:
        account = cls._api_retrieve(id)
        only(data, UPDATE_PARAMS)
        email = _email(data.get("email")) if "email" in data else account.email
        capabilities = _capabilities(
            data.get("capabilities"), account.capabilities, active=account.charges_enabled
        )
        profile = _profile(data.get("business_profile"), account.business_profile)
        business_type = _business_type(data.get("business_type")) or account.business_type
        currency = _currency(data.get("default_currency")) or account.default_currency
        tos = _tos(data.get("tos_acceptance"), account.tos_acceptance)
        metadata = (
            metadata_merged(account.metadata, data["metadata"])
            if "metadata" in data
            else account.metadata
        )
        before = snapshot(account)
        account.email, account.capabilities = email, capabilities
        account.business_profile, account.business_type = profile, business_type
        account.default_currency, account.tos_acceptance = currency, tos
        account.metadata = metadata
        hooks.account_updated(account, before)
        return account

    @classmethod
    def _api_delete(cls, id: str) -> Any:
        cls._api_retrieve(id)  # Stripe's 404 first
        return super()._api_delete(id)


def complete(account: Any) -> None:
    """'Agree and submit': everything Stripe asked for is given and verified."""
    account.details_submitted = True
    account.charges_enabled = True
    account.payouts_enabled = True
    account.capabilities = dict.fromkeys(account.capabilities, "active")
    account.requirements = requirements([], [], None)
    account.business_type = account.business_type or "individual"
    account.tos_acceptance = {**account.tos_acceptance, "date": int(time.time())}


def without_document(account: Any) -> None:
    """'Submit without ID document': submitted, but restricted until an ID is uploaded."""
    account.details_submitted = True
    account.charges_enabled = False
    account.payouts_enabled = False
    account.capabilities = dict.fromkeys(account.capabilities, "inactive")
    account.requirements = requirements([DOCUMENT], [DOCUMENT], PAST_DUE)
    account.business_type = account.business_type or "individual"
    account.tos_acceptance = {**account.tos_acceptance, "date": int(time.time())}


def control(account: Any, data: dict[str, Any]) -> None:
    """The test control (`POST /_config/accounts/{id}`): set what Stripe would after a
    review. Without `capabilities`, a change of `charges_enabled` turns every requested
    capability active (true) or inactive (false)."""
    only(data, CONTROL_PARAMS)
    flags = {
        name: as_bool(data.get(name), name)
        for name in ("charges_enabled", "payouts_enabled", "details_submitted")
    }
    lists = {
        name: as_list(data[name], name)
        for name in ("currently_due", "past_due", "eventually_due")
        if name in data
    }
    reason = as_text(data.get("disabled_reason"), "disabled_reason") or None
    deadline = as_int(data.get("current_deadline") or None, "current_deadline")
    statuses = as_hash(data.get("capabilities"), "capabilities") or {}
    for name, status in statuses.items():
        if status not in STATUSES:
            raise fail(400, f"Invalid capability status: {status}", param=f"capabilities[{name}]")
    for name, flag in flags.items():
        if flag is not None:
            setattr(account, name, flag)
    if flags["charges_enabled"] is not None and not statuses:
        state = "active" if flags["charges_enabled"] else "inactive"
        account.capabilities = dict.fromkeys(account.capabilities, state)
    account.capabilities = {**account.capabilities, **statuses}
    due = dict(account.requirements)
    due.update(lists)
    if "eventually_due" not in lists:
        due["eventually_due"] = sorted(
            set(due["eventually_due"]) | set(due["currently_due"]) | set(due["past_due"])
        )
    if "disabled_reason" in data:
        due["disabled_reason"] = reason
    if "current_deadline" in data:
        due["current_deadline"] = deadline
    account.requirements = due


def _controller(kind: object, controller: object) -> tuple[str, dict[str, Any]]:
    if kind is not None and controller is not None:
        raise fail(400, "You cannot specify both `type` and `controller`.", param="controller")
    if controller is None:
        kind = kind if kind is not None else "standard"
        if kind not in _LEGACY:
            raise fail(
                400, "Invalid type: must be one of custom, express, or standard", param="type"
            )
        return str(kind), _controller_doc(*_LEGACY[str(kind)])
    given = as_hash(controller, "controller") or {}
    only(given, {"fees", "losses", "requirement_collection", "stripe_dashboard"}, "controller")
    dashboard = _sub(given, "stripe_dashboard", "type") or "full"
    fees = _sub(given, "fees", "payer") or ("account" if dashboard == "full" else "application")
    losses = _sub(given, "losses", "payments") or (
        "stripe" if dashboard == "full" else "application"
    )
    collection = as_text(given.get("requirement_collection"), "controller[requirement_collection]")
    collection = collection or "stripe"
    if dashboard == "express":
        kind = "express"
    elif dashboard == "full":
        kind = "standard"
    else:
        kind = "custom" if collection == "application" else "none"
    return kind, _controller_doc(dashboard, fees, losses, collection)


def _sub(given: dict[str, Any], name: str, key: str) -> str | None:
    inner = as_hash(given.get(name), f"controller[{name}]") or {}
    only(inner, {key}, f"controller[{name}]")
    return as_text(inner.get(key), f"controller[{name}][{key}]")


def _controller_doc(dashboard: str, fees: str, losses: str, collection: str) -> dict[str, Any]:
    return {
        "fees": {"payer": fees},
        "is_controller": True,
        "losses": {"payments": losses},
        "requirement_collection": collection,
        "stripe_dashboard": {"type": dashboard},
        "type": "application",
    }


def _country(value: object) -> str:
    country = (as_text(value, "country") or "US").upper()
    if country not in CURRENCY_OF:
        raise fail(
            400,
            f"Country '{country}' is unknown. Try using a 2-character alphanumeric country "
            "code instead, such as 'US', 'EG', or 'GB'.",
            param="country",
        )
    return country


def _currency(value: object) -> str | None:
    currency = as_text(value, "default_currency")
    if currency is None:
        return None
    if len(currency) != 3 or not currency.isalpha():
        raise fail(400, f"Invalid currency: {currency}", param="default_currency")
    return currency.lower()


def _email(value: object) -> str | None:
    email = as_text(value, "email")
    if email is not None and (email.count("@") != 1 or email.startswith("@") or " " in email):
        raise fail(400, f"Invalid email address: {email}", param="email", code="email_invalid")
    return email


def _business_type(value: object) -> str | None:
    found = as_text(value, "business_type")
    if found is not None and found not in BUSINESS_TYPES:
        raise fail(
            400,
            "Invalid business_type: must be one of company, government_entity, individual, "
            "or non_profit",
            param="business_type",
        )
    return found


def _capabilities(value: object, current: dict[str, str], *, active: bool) -> dict[str, str]:
    """Requested capabilities start inactive (active on an account that takes charges);
    `requested=false` removes one."""
    found = dict(current)
    for name, setting in (as_hash(value, "capabilities") or {}).items():
        where = f"capabilities[{name}]"
        if not name.replace("_", "").isalnum() or not name.islower():
            raise unknown(where)
        inner = as_hash(setting, where) or {}
        only(inner, {"requested"}, where)
        requested = as_bool(inner.get("requested"), f"{where}[requested]")
        if requested:
            found.setdefault(name, "active" if active else "inactive")
        elif requested is False:
            found.pop(name, None)
    return found


def _profile(value: object, current: dict[str, Any]) -> dict[str, Any]:
    given = as_hash(value, "business_profile") or {}
    only(given, set(PROFILE_FIELDS), "business_profile")
    return {**current, **{k: as_text(v, f"business_profile[{k}]") for k, v in given.items()}}


def _tos(value: object, current: dict[str, Any]) -> dict[str, Any]:
    given = as_hash(value, "tos_acceptance") or {}
    only(given, set(TOS_FIELDS), "tos_acceptance")
    found = {**current, **given}
    found["date"] = as_int(found.get("date"), "tos_acceptance[date]")
    return found
