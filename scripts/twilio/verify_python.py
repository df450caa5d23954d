#!/usr/bin/env python3
"""The official twilio-python SDK (9.13.0, unmodified) against phoneguard.

Run by scripts/twilio/run.sh, which starts the server and sets PG_BASE,
PG_ACCOUNT_SID, PG_KEY, PG_OTHER_ACCOUNT_SID, PG_OTHER_KEY, PG_PREFIX (the
first digits of the phones this run uses). Only `client.verify.base_url` and
`client.lookups.base_url` are changed; every assertion is on the SDK's own
objects and its TwilioRestException.
"""

import datetime
import json
import os
import re
import sys
import urllib.request

from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

BASE = os.environ["PG_BASE"]
AC = os.environ["PG_ACCOUNT_SID"]
KEY = os.environ["PG_KEY"]
PREFIX = os.environ["PG_PREFIX"]  # e.g. "+861380013" (+ 4 digits per case)


def client(user=AC, password=KEY):
    c = Client(user, password, account_sid=AC)
    c.verify.base_url = BASE
    c.lookups.base_url = BASE
    return c


def phone(n):
    return f"{PREFIX}{n:04d}"


def latest_code(to):
    """The code the sandbox supplier 'delivered' (phoneguard's own /v1 API)."""
    national = to.removeprefix("+86")
    req = urllib.request.Request(
        f"{BASE}/v1/sandbox/messages?phone={national}",
        headers={"Authorization": f"Bearer {KEY}"},
    )
    with urllib.request.urlopen(req) as r:
        text = json.load(r)["messages"][0]["text"]
    return re.search(r"\d{4,10}", text).group(0)


def wrong(code):
    return "".join("0" if c == "9" else chr(ord(c) + 1) for c in code)


def expect_error(code, status, fn):
    try:
        fn()
    except TwilioRestException as e:
        assert e.code == code, f"expected {code}, got {e.code}: {e.msg}"
        assert e.status == status, f"expected HTTP {status}, got {e.status}"
        return e
    raise AssertionError(f"expected TwilioRestException {code}")


checks = []


def step(name):
    def run(fn):
        fn()
        checks.append(name)
        print(f"python ok: {name}", flush=True)
        return fn

    return run


c = client()
svc = c.verify.v2.services.create(friendly_name="Acme", code_length=6)
service = c.verify.v2.services(svc.sid)


@step("service create")
def _():
    assert svc.sid.startswith("VA") and len(svc.sid) == 34, svc.sid
    assert svc.account_sid == AC and svc.friendly_name == "Acme" and svc.code_length == 6
    assert isinstance(svc.date_created, datetime.datetime), svc.date_created
    assert any(s.sid == svc.sid for s in c.verify.v2.services.list())


@step("services list pages")
def _():
    made = {c.verify.v2.services.create(friendly_name=f"Page {i}").sid for i in range(3)}
    listed = [s.sid for s in c.verify.v2.services.list(page_size=2)]
    streamed = [s.sid for s in c.verify.v2.services.stream(page_size=2)]
    assert len(listed) >= 4 and made <= set(listed) and listed == streamed, listed
    first = c.verify.v2.services.page(page_size=2)
    assert len(list(first)) == 2 and first.next_page() is not None


to = phone(1)
v = service.verifications.create(to=to, channel="sms")


@step("verification create")
def _():
    assert v.sid.startswith("VE") and v.status == "pending" and v.valid is False, v
    assert v.to == to and v.channel == "sms" and v.service_sid == svc.sid
    assert len(v.send_code_attempts) == 1
    assert isinstance(v.date_created, datetime.datetime)


@step("resend on the same sid")
def _():
    again = service.verifications.create(to=to, channel="sms")
    assert again.sid == v.sid, (again.sid, v.sid)
    assert len(again.send_code_attempts) == 2


code = latest_code(to)


@step("wrong check (pending/false)")
def _():
    r = service.verification_checks.create(to=to, code=wrong(code))
    assert r.status == "pending" and r.valid is False, (r.status, r.valid)


@step("right check (approved)")
def _():
    r = service.verification_checks.create(to=to, code=code)
    assert r.status == "approved" and r.valid is True, (r.status, r.valid)
    assert r.sid == v.sid


@step("fetch after approval (20404)")
def _():
    expect_error(20404, 404, lambda: service.verifications(v.sid).fetch())


@step("five wrong then 60202")
def _():
    to5 = phone(2)
    service.verifications.create(to=to5, channel="sms")
    code5 = latest_code(to5)
    for _ in range(5):
        r = service.verification_checks.create(to=to5, code=wrong(code5))
        assert r.valid is False
    expect_error(
        60202, 429, lambda: service.verification_checks.create(to=to5, code=code5)
    )


@step("cancel then check (20404)")
def _():
    toc = phone(3)
    vc = service.verifications.create(to=toc, channel="call")
    assert vc.channel == "call"
    canceled = service.verifications(vc.sid).update(status="canceled")
    assert canceled.status == "canceled"
    expect_error(
        20404,
        404,
        lambda: service.verification_checks.create(verification_sid=vc.sid, code="123456"),
    )


@step("invalid To and Channel (60200)")
def _():
    e = expect_error(
        60200, 400, lambda: service.verifications.create(to="12", channel="sms")
    )
    assert "To" in e.msg, e.msg
    e = expect_error(
        60200,
        400,
        lambda: service.verifications.create(to=phone(4), channel="carrier-pigeon"),
    )
    assert "Channel" in e.msg, e.msg


@step("wrong password (20003)")
def _():
    bad = client(password="pk_test_" + "x" * 40)
    expect_error(20003, 401, lambda: bad.verify.v2.services(svc.sid).fetch())


@step("another tenant's service (20404)")
def _():
    other_ac = os.environ["PG_OTHER_ACCOUNT_SID"]
    other = Client(other_ac, os.environ["PG_OTHER_KEY"])
    other.verify.base_url = BASE
    expect_error(20404, 404, lambda: other.verify.v2.services(svc.sid).fetch())
    expect_error(
        20404,
        404,
        lambda: other.verify.v2.services(svc.sid).verifications.create(
            to=phone(5), channel="sms"
        ),
    )


@step("lookup line_type_intelligence: CMCC, CTCC MVNO, IoT")
def _():
    for number, kind, name, mnc in [
        ("+8613800138000", "mobile", "China Mobile", "00"),
        ("+8617001234567", "mobile", "China Telecom (MVNO)", "03"),
        ("+8614812345678", "iot", "China Mobile (IoT)", "00"),
    ]:
        p = c.lookups.v2.phone_numbers(number).fetch(fields="line_type_intelligence")
        assert p.valid is True and p.phone_number == number, (p.valid, p.phone_number)
        assert p.country_code == "CN" and p.calling_country_code == "86"
        lti = p.line_type_intelligence
        assert lti["type"] == kind and lti["carrier_name"] == name, lti
        assert lti["mobile_country_code"] == "460" and lti["mobile_network_code"] == mnc, lti
        assert p.line_status is None and p.identity_match is None


@step("lookup of a short number (TOO_SHORT)")
def _():
    p = c.lookups.v2.phone_numbers("+86123").fetch()
    assert p.valid is False and p.validation_errors == ["TOO_SHORT"], (
        p.valid,
        p.validation_errors,
    )


print(f"twilio-python: {len(checks)} checks passed")
sys.exit(0)
