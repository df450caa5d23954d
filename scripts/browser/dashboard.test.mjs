// Headless Chromium against the real `phoneguard serve`: logs in, opens every
// dashboard page, checks figures against the API (traffic this test made
// itself), changes suppliers through the confirmed form and watches routing
// follow, and saves a screenshot of every page to docs/screenshots/.
//
// Usage: node dashboard.test.mjs PATH/TO/phoneguard OUT_DIR
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const [bin, shots] = process.argv.slice(2);
assert.ok(bin && shots, "usage: node dashboard.test.mjs PHONEGUARD_BIN SCREENSHOT_DIR");
const ADMIN = "adm_browser_test_0123456789abcdef";
const work = mkdtempSync(join(tmpdir(), "pg-browser-"));
mkdirSync(shots, { recursive: true });

function startServer() {
  const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0"], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      PHONEGUARD_ADMIN_TOKEN: ADMIN,
      PHONEGUARD_DATABASE_URL: `sqlite://${join(work, "pg.db")}`,
      PHONEGUARD_LOG__LEVEL: "warn",
      PHONEGUARD_VERIFY__RESEND_COOLDOWN_S: "0",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    let key = null;
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const t = line.trim();
      if (t.startsWith("pk_test_")) key = t;
      const m = t.match(/^phoneguard: listening on (http:\/\/\S+)$/);
      if (m) resolve({ child, base: m[1], key });
    });
    child.on("exit", (code) => reject(new Error(`phoneguard exited with ${code}`)));
  });
}

const { child, base, key } = await startServer();
const api = async (method, path, body, token = key) => {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
};

let browser;
try {
  // Traffic: 4 SMS verifications (2 approved), 6 status lookups, 3 risk events.
  const phones = ["13800138001", "13800138002", "13800138003", "13800138004"];
  for (const [i, phone] of phones.entries()) {
    const v = await api("POST", "/v1/verifications", { phone, channel: "sms", purpose: "login" });
    assert.equal(v.status, 201, JSON.stringify(v.body));
    if (i < 2) {
      const m = await api("GET", `/v1/sandbox/messages?phone=${phone}`);
      const code = m.body.messages[0].text.match(/\d{4,}/)[0];
      const c = await api("POST", `/v1/verifications/${v.body.id}/check`, { code });
      assert.equal(c.body.status, "approved", JSON.stringify(c.body));
    }
  }
  for (let i = 0; i < 6; i++) {
    const r = await api("GET", `/v1/numbers/1390013900${i}?fields=status`);
    assert.equal(r.status, 200);
  }
  for (let i = 0; i < 3; i++) {
    const r = await api("POST", "/v1/risk/register", {
      account: `user${i}`, ip: "203.0.113.7", device_id: "dev-browser-1", pwd: "e10adc3949ba59abbe56e057f20f883e",
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
  const stats = (await api("GET", "/v1/admin/stats?window=3600", undefined, ADMIN)).body;
  const statCalls = Object.fromEntries(stats.suppliers.map((s) => [s.supplier_id, s.calls]));
  const totalCalls = stats.suppliers.reduce((n, s) => n + s.calls, 0);
  assert.ok(totalCalls >= 6, JSON.stringify(stats));

  const profile = mkdtempSync(join(tmpdir(), "pg-chromium-"));
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    viewport: { width: 1280, height: 900 },
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = browser.pages()[0] || (await browser.newPage());
  page.setDefaultTimeout(15000);
  const shot = (name) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const text = async (sel) => (await page.locator(sel).first().textContent()).trim();

  await page.goto(`${base}/dashboard?window=1h`);
  assert.match(page.url(), /\/dashboard\/login$/, "no session: redirected to the login form");
  await shot("login");
  await page.fill("#token", "adm_wrong_token_000000000000");
  await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
  await page.waitForSelector("p.bad");
  assert.match(await text("p.bad"), /Invalid admin token/);
  await page.fill("#token", ADMIN);
  await Promise.all([page.waitForURL(/\/dashboard\?lang=en$/), page.click("button[type=submit]")]);

  await page.goto(`${base}/dashboard?window=1h&lang=en`);
  assert.equal(await text("#verifications-started"), String(phones.length));
  assert.equal(await text("#total-calls"), String(totalCalls));
  assert.ok((await page.locator("svg").count()) >= 3, "charts drawn");
  await shot("overview");

  await page.goto(`${base}/dashboard/suppliers?window=1h&lang=en`);
  for (const [id, calls] of Object.entries(statCalls)) {
    assert.equal(await text(`tr[data-supplier="${id}"] td.calls`), String(calls), id);
  }
  await shot("suppliers");
  // Messaging suppliers count their sends as calls.
  assert.ok(Number(await text('tr[data-supplier="sms-a"] td.calls')) +
    Number(await text('tr[data-supplier="sms-b"] td.calls')) >= phones.length, "sends are supplier calls");
  // The suppliers table fits its card at common desktop widths (no cut-off columns).
  for (const width of [1400, 1280, 1024]) {
    await page.setViewportSize({ width, height: 900 });
    const cut = await page.evaluate(() => {
      const t = document.querySelector("#suppliers");
      return t.scrollWidth - t.parentElement.clientWidth;
    });
    assert.ok(cut <= 1, `the suppliers table fits at ${width}px (cut ${cut}px)`);
  }
  await page.setViewportSize({ width: 1280, height: 900 });

  await page.goto(`${base}/dashboard/verifications?window=1h&lang=en`);
  const sms = page.locator("#funnel-channel tr", { hasText: "sms" }).first();
  const cells = (await sms.locator("td").allTextContents()).map((t) => t.trim());
  assert.deepEqual(cells.slice(0, 4), ["sms", "4", "4", "2"], "started, delivered (sandbox receipts), approved");
  await shot("verifications");

  await page.goto(`${base}/dashboard/risk?window=1h&lang=en`);
  assert.equal(await text("#risk-total"), "3");
  await shot("risk");

  await page.goto(`${base}/dashboard/tenants?window=1h&lang=en`);
  const tenants = await page.content();
  assert.match(tenants, /default/);
  assert.ok(!tenants.includes(key), "the full API key is never shown");
  await shot("tenants");

  await page.goto(`${base}/dashboard/usage?window=1h&lang=en`);
  assert.match(await text("#usage"), /status/);
  await shot("usage");

  // Weight change through the form, with the confirmation step.
  const changeRow = async (id, weight, enabled) => {
    await page.goto(`${base}/dashboard/suppliers?window=1h&lang=en`);
    const row = page.locator(`tr[data-route="${id}"]`);
    await row.locator("input[name=weight]").fill(String(weight));
    await row.locator("select[name=enabled]").selectOption(enabled ? "true" : "false");
    await row.locator("button[type=submit]").click();
    await page.waitForSelector("#confirm");
    return row;
  };
  await changeRow("sms-b", 55, true);
  await shot("supplier-confirm");
  assert.equal((await api("GET", "/v1/admin/suppliers/sms-b", undefined, ADMIN)).body.weight, 10,
    "nothing changes before the confirmation");
  await page.click("#confirm-button");
  await page.waitForSelector("#updated");
  assert.equal((await api("GET", "/v1/admin/suppliers/sms-b", undefined, ADMIN)).body.weight, 55);

  // Routing follows at once: with sms-a disabled, new codes go out through sms-b.
  await changeRow("sms-a", 20, false);
  await page.click("#confirm-button");
  await page.waitForSelector("#updated");
  for (const phone of ["13900139011", "13900139012", "13900139013"]) {
    const v = await api("POST", "/v1/verifications", { phone, channel: "sms", purpose: "login" });
    assert.equal(v.body.attempts[0].supplier, "sms-b", JSON.stringify(v.body));
  }

  await page.goto(`${base}/dashboard?window=1h&lang=zh`);
  assert.match(await page.content(), /概览/);
  await shot("overview-zh");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${base}/dashboard/suppliers?window=24h&lang=en`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page fits a phone screen (overflow ${overflow}px)`);
  await shot("suppliers-phone");
  await page.goto(`${base}/dashboard?window=7d&lang=en`);
  await shot("overview-phone");

  // Logout ends the session.
  await page.click("header ~ .bar button[type=submit]");
  await page.waitForURL(/\/dashboard\/login$/);
  await page.goto(`${base}/dashboard`);
  assert.match(page.url(), /\/dashboard\/login$/);
  console.log("dashboard browser test: ok");
} finally {
  if (browser) await browser.close();
  child.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
