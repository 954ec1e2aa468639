"""Payment QR codes (EPC, PIX, UPI) decode to exactly their payload: level M, version 13 at most."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from bot.views.qr import PAYMENT_QR_MAX_BYTES, payment_qr_png, qr_version
from core.domain.payqr import rf
from core.domain.payqr.epc import MAX_NAME, MAX_NOTE, epc_payload
from core.domain.payqr.pix import pix_payload
from core.domain.payqr.upi import upi_uri

REFERENCE = rf.new_reference("7K3M9QXZ2H")
EPC = epc_payload(
    name="Franz Mustermänn",
    iban="DE71 1102 2033 0123 4567 89",
    bic="BHBLDEHHXXX",
    amount_minor=1230,
    purpose="GDDS",
    reference=REFERENCE,
)
PIX = pix_payload(
    key="+55 11 91234-5678",
    name="José Conceição",
    city="São Paulo",
    amount_minor=4250,
    txid=REFERENCE,
)
UPI = upi_uri(
    vpa="zeeshan@npci",
    name="Zeeshan Khan",
    amount_minor=101000,
    note="Dinner at Luigi's ₹",
    reference=REFERENCE,
)
# the largest EPC payload: 331 bytes, version 13
EPC_FULL = epc_payload(
    name="ä" * MAX_NAME,
    iban="DE71110220330123456789",
    bic="BHBLDEHHXXX",
    amount_minor=99_999_999_999,
    purpose="GDDS",
    text="x" * 48,
    note="n" * MAX_NOTE,
)


def decode(png: bytes) -> zxingcpp.Barcode:
    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return code


@pytest.mark.parametrize("payload", [EPC, PIX, UPI, EPC_FULL], ids=["epc", "pix", "upi", "full"])
def test_the_png_decodes_to_exactly_the_payload_at_level_m(payload: str) -> None:
    png = payment_qr_png(payload)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    code = decode(png)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    assert code.text == payload
    assert code.bytes == payload.encode("utf-8")
    assert code.ec_level == "M"
    extra = code.extra  # zxing-cpp 3 reports the symbol's version here
    assert isinstance(extra, dict)
    assert int(extra["Version"]) == qr_version(payload) <= 13


def test_the_epc_name_keeps_its_utf8_umlaut() -> None:
    assert "Franz Mustermänn" in decode(payment_qr_png(EPC)).text.split("\n")


def test_the_largest_epc_payload_takes_version_13() -> None:
    assert len(EPC_FULL.encode("utf-8")) == PAYMENT_QR_MAX_BYTES == 331
    assert qr_version(EPC_FULL) == 13


def test_the_smallest_version_is_chosen() -> None:
    assert qr_version("BCD") == 1
    assert qr_version(PIX) < qr_version(EPC_FULL)


@pytest.mark.parametrize("payload", ["a" * 332, "ä" * 166, "x" * 5000])
def test_what_needs_more_than_version_13_is_refused(payload: str) -> None:
    with pytest.raises(ValueError, match="at most 331 bytes"):
        payment_qr_png(payload)
    with pytest.raises(ValueError, match="at most 331 bytes"):
        qr_version(payload)
