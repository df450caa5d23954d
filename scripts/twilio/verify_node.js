// The official twilio-node SDK (6.3.1, unmodified) against phoneguard.
//
// Run by scripts/twilio/run.sh (see verify_python.py for the variables). Only
// `client.verify.baseUrl` and `client.lookups.baseUrl` are changed; every
// assertion is on the SDK's own objects and its RestException.
"use strict";

const assert = require("node:assert/strict");
const twilio = require("twilio");
const { RestException } = twilio;

const BASE = process.env.PG_BASE;
const AC = process.env.PG_ACCOUNT_SID;
const KEY = process.env.PG_KEY;
const PREFIX = process.env.PG_PREFIX;

function client(user = AC, password = KEY, accountSid = AC) {
  const c = twilio(user, password, { accountSid });
  c.verify.baseUrl = BASE;
  c.lookups.baseUrl = BASE;
  return c;
}

const phone = (n) => `${PREFIX}${String(n).padStart(4, "0")}`;

async function latestCode(to) {
  const national = to.replace(/^\+86/, "");
  const r = await fetch(`${BASE}/v1/sandbox/messages?phone=${national}`, {
    headers: { Authorization: `Bearer ${KEY}` },
  });
  const text = (await r.json()).messages[0].text;
  return text.match(/\d{4,10}/)[0];
}

const wrong = (code) =>
  [...code].map((c) => (c === "9" ? "0" : String(Number(c) + 1))).join("");

async function expectError(code, status, fn) {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof RestException, `not a RestException: ${e}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.code}: ${e.message}`);
    assert.equal(e.status, status);
    return e;
  }
  throw new Error(`expected RestException ${code}`);
}

let passed = 0;
async function step(name, fn) {
  await fn();
  passed += 1;
  console.log(`node ok: ${name}`);
}

(async () => {
  const c = client();
  const svc = await c.verify.v2.services.create({ friendlyName: "Acme", codeLength: 6 });
  const service = c.verify.v2.services(svc.sid);

  await step("service create", async () => {
    assert.match(svc.sid, /^VA[0-9a-f]{32}$/);
    assert.equal(svc.accountSid, AC);
    assert.equal(svc.friendlyName, "Acme");
    assert.equal(svc.codeLength, 6);
    assert.ok(svc.dateCreated instanceof Date && !isNaN(svc.dateCreated));
    const all = await c.verify.v2.services.list();
    assert.ok(all.some((s) => s.sid === svc.sid));
  });

  await step("services list pages", async () => {
    const made = [];
    for (let i = 0; i < 3; i++) {
      made.push((await c.verify.v2.services.create({ friendlyName: `Page ${i}` })).sid);
    }
    const listed = (await c.verify.v2.services.list({ pageSize: 2 })).map((s) => s.sid);
    assert.ok(listed.length >= 4, listed);
    for (const sid of made) assert.ok(listed.includes(sid), sid);
    const seen = [];
    await new Promise((resolve, reject) =>
      c.verify.v2.services.each({
        pageSize: 2,
        callback: (s) => seen.push(s.sid),
        done: (err) => (err ? reject(err) : resolve()),
      }),
    );
    assert.deepEqual(seen, listed);
    const first = await c.verify.v2.services.page({ pageSize: 2 });
    assert.equal(first.instances.length, 2);
    assert.ok((await first.nextPage()) !== undefined);
  });

  const to = phone(1);
  const v = await service.verifications.create({ to, channel: "sms" });
  await step("verification create", async () => {
    assert.match(v.sid, /^VE[0-9a-f]{32}$/);
    assert.equal(v.status, "pending");
    assert.equal(v.valid, false);
    assert.equal(v.to, to);
    assert.equal(v.channel, "sms");
    assert.equal(v.serviceSid, svc.sid);
    assert.equal(v.sendCodeAttempts.length, 1);
  });

  await step("resend on the same sid", async () => {
    const again = await service.verifications.create({ to, channel: "sms" });
    assert.equal(again.sid, v.sid);
    assert.equal(again.sendCodeAttempts.length, 2);
  });

  const code = await latestCode(to);
  await step("wrong check (pending/false)", async () => {
    const r = await service.verificationChecks.create({ to, code: wrong(code) });
    assert.equal(r.status, "pending");
    assert.equal(r.valid, false);
  });

  await step("right check (approved)", async () => {
    const r = await service.verificationChecks.create({ to, code });
    assert.equal(r.status, "approved");
    assert.equal(r.valid, true);
    assert.equal(r.sid, v.sid);
  });

  await step("fetch after approval (20404)", async () => {
    await expectError(20404, 404, () => service.verifications(v.sid).fetch());
  });

  await step("five wrong then 60202", async () => {
    const to5 = phone(2);
    await service.verifications.create({ to: to5, channel: "sms" });
    const code5 = await latestCode(to5);
    for (let i = 0; i < 5; i++) {
      const r = await service.verificationChecks.create({ to: to5, code: wrong(code5) });
      assert.equal(r.valid, false);
    }
    await expectError(60202, 429, () =>
      service.verificationChecks.create({ to: to5, code: code5 }),
    );
  });

  await step("cancel then check (20404)", async () => {
    const vc = await service.verifications.create({ to: phone(3), channel: "call" });
    assert.equal(vc.channel, "call");
    const canceled = await service.verifications(vc.sid).update({ status: "canceled" });
    assert.equal(canceled.status, "canceled");
    await expectError(20404, 404, () =>
      service.verificationChecks.create({ verificationSid: vc.sid, code: "123456" }),
    );
  });

  await step("invalid To and Channel (60200)", async () => {
    let e = await expectError(60200, 400, () =>
      service.verifications.create({ to: "12", channel: "sms" }),
    );
    assert.match(e.message, /To/);
    e = await expectError(60200, 400, () =>
      service.verifications.create({ to: phone(4), channel: "carrier-pigeon" }),
    );
    assert.match(e.message, /Channel/);
  });

  await step("wrong password (20003)", async () => {
    const bad = client(AC, "pk_test_" + "x".repeat(40));
    await expectError(20003, 401, () => bad.verify.v2.services(svc.sid).fetch());
  });

  await step("another tenant's service (20404)", async () => {
    const otherAc = process.env.PG_OTHER_ACCOUNT_SID;
    const other = client(otherAc, process.env.PG_OTHER_KEY, otherAc);
    await expectError(20404, 404, () => other.verify.v2.services(svc.sid).fetch());
    await expectError(20404, 404, () =>
      other.verify.v2.services(svc.sid).verifications.create({ to: phone(5), channel: "sms" }),
    );
  });

  await step("lookup line_type_intelligence: CMCC, CTCC MVNO, IoT", async () => {
    for (const [number, kind, name, mnc] of [
      ["+8613800138000", "mobile", "China Mobile", "00"],
      ["+8617001234567", "mobile", "China Telecom (MVNO)", "03"],
      ["+8614812345678", "iot", "China Mobile (IoT)", "00"],
    ]) {
      const p = await c.lookups.v2.phoneNumbers(number).fetch({ fields: "line_type_intelligence" });
      assert.equal(p.valid, true);
      assert.equal(p.phoneNumber, number);
      assert.equal(p.countryCode, "CN");
      assert.equal(p.callingCountryCode, "86");
      const lti = p.lineTypeIntelligence;
      assert.equal(lti.type, kind);
      assert.equal(lti.carrierName, name);
      assert.equal(lti.mobileCountryCode, "460");
      assert.equal(lti.mobileNetworkCode, mnc);
      assert.equal(p.lineStatus, null);
      assert.equal(p.identityMatch, null);
    }
  });

  await step("lookup of a short number (TOO_SHORT)", async () => {
    const p = await c.lookups.v2.phoneNumbers("+86123").fetch();
    assert.equal(p.valid, false);
    assert.deepEqual(p.validationErrors, ["TOO_SHORT"]);
  });

  console.log(`twilio-node: ${passed} checks passed`);
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
