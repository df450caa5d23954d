// Headless Chromium against the real `phoneguard serve`: the device SDK's demo
// page (/sdk/v1/demo) twice with one profile → the same device_id; with a
// fresh profile → matched back by fingerprint to that id (same machine, same
// browser: an unambiguous, strong fingerprint); the headless browser is
// flagged `headless: true`, and a normal user-agent string does not clear it.
//
// Usage: node device.test.mjs PATH/TO/phoneguard
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const [bin] = process.argv.slice(2);
assert.ok(bin, "usage: node device.test.mjs PHONEGUARD_BIN");
const ADMIN = "adm_browser_test_0123456789abcdef";
const work = mkdtempSync(join(tmpdir(), "pg-device-"));
const NORMAL_UA =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

function startServer() {
  const child = spawn(bin, ["serve", "--listen", "127.0.0.1:0"], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      PHONEGUARD_ADMIN_TOKEN: ADMIN,
      PHONEGUARD_DATABASE_URL: `sqlite://${join(work, "pg.db")}`,
      PHONEGUARD_LOG__LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.on("line", (line) => {
      const m = line.trim().match(/^phoneguard: listening on (http:\/\/\S+)$/);
      if (m) resolve({ child, base: m[1] });
    });
    child.on("exit", (code) => reject(new Error(`phoneguard exited with ${code}`)));
  });
}

const { child, base } = await startServer();
const admin = async (method, path, body) => {
  const r = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
};

const profiles = [];
async function visit(key, options = {}) {
  const profile = mkdtempSync(join(tmpdir(), "pg-chromium-"));
  profiles.push(profile);
  return visitWith(profile, key, options);
}

async function visitWith(profile, key, { userAgent, times = 1 } = {}) {
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    userAgent,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = browser.pages()[0] || (await browser.newPage());
    page.setDefaultTimeout(15000);
    const seen = [];
    for (let i = 0; i < times; i++) {
      await page.goto(`${base}/sdk/v1/demo?key=${key}`);
      await page.waitForFunction(() => /^(dev_|error)/.test(document.getElementById("device-id").textContent));
      const id = (await page.locator("#device-id").textContent()).trim();
      assert.match(id, /^dev_[0-9a-f]{32}$/, `demo page answered ${id}`);
      const signals = JSON.parse(await page.locator("#device-signals").textContent());
      const stored = await page.evaluate(() => localStorage.getItem("phoneguard_device_id"));
      assert.equal(stored, id, "kept in localStorage");
      seen.push({ id, signals });
    }
    return seen;
  } finally {
    await browser.close();
  }
}

try {
  const tenants = await admin("GET", "/v1/admin/tenants");
  const tenant = tenants.body.tenants[0].id;
  const k = await admin("POST", `/v1/admin/tenants/${tenant}/keys`, {
    mode: "publishable",
    allowed_origins: [base],
  });
  assert.equal(k.status, 201, JSON.stringify(k.body));
  const key = k.body.key;

  // One profile, two loads: the same id (stored).
  const [first, second] = await visit(key, { times: 2 });
  assert.equal(second.id, first.id, "same profile, same device_id");
  assert.equal(first.signals.headless, true, `headless Chromium is flagged: ${JSON.stringify(first.signals)}`);

  // A fresh profile on the same machine and browser: matched back by fingerprint.
  const [fresh] = await visit(key);
  assert.equal(fresh.id, first.id, "fresh profile, same fingerprint: matched back to the same device_id");

  // A normal user-agent string does not clear the headless flag.
  const [disguised] = await visit(key, { userAgent: NORMAL_UA });
  assert.equal(disguised.signals.headless, true, `a normal UA alone does not clear it: ${JSON.stringify(disguised.signals)}`);

  // A key for another origin: the browser is refused (CORS / 403), no id.
  const other = await admin("POST", `/v1/admin/tenants/${tenant}/keys`, {
    mode: "publishable",
    allowed_origins: ["https://shop.example"],
  });
  const profile = mkdtempSync(join(tmpdir(), "pg-chromium-"));
  profiles.push(profile);
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"],
  });
  try {
    const page = browser.pages()[0] || (await browser.newPage());
    await page.goto(`${base}/sdk/v1/demo?key=${other.body.key}`);
    await page.waitForFunction(() => /^(dev_|error)/.test(document.getElementById("device-id").textContent));
    const text = (await page.locator("#device-id").textContent()).trim();
    assert.match(text, /^error: phoneguard: 403/, `another origin's key is refused: ${text}`);
  } finally {
    await browser.close();
  }
  console.log("device browser test: ok");
} finally {
  child.kill("SIGTERM");
  for (const p of profiles) rmSync(p, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
}
