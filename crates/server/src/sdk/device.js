/*! phoneguard device.js v1 — device id for the web. No dependencies.
 * phoneguard.init({ key: "pub_…", endpoint: "https://…" }) → Promise<{ device_id, device_token, expires_at, signals }>
 * Collects what a browser gives without a prompt, posts it to POST /v1/devices,
 * and keeps the device id in localStorage and a first-party cookie. */
(function (root) {
  "use strict";
  var STORE = "phoneguard_device_id";

  function safe(f, dflt) {
    try { var v = f(); return v === undefined ? dflt : v; } catch (e) { return dflt; }
  }

  // FNV-1a, 32 bits, twice with different seeds: a 16-hex-digit hash.
  function hash(s) {
    var h1 = 0x811c9dc5, h2 = 0x01000193 ^ 0x5bd1e995;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ c, 0x5bd1e995) >>> 0;
    }
    return ("0000000" + h1.toString(16)).slice(-8) + ("0000000" + h2.toString(16)).slice(-8);
  }

  function canvasHash() {
    return safe(function () {
      var c = document.createElement("canvas");
      c.width = 240; c.height = 60;
      var x = c.getContext("2d");
      if (!x) return undefined;
      x.textBaseline = "top";
      x.font = "16px 'Arial'";
      x.fillStyle = "#f60"; x.fillRect(100, 1, 62, 20);
      x.fillStyle = "#069"; x.fillText("phoneguard \u2603 device", 2, 15);
      x.fillStyle = "rgba(102, 204, 0, 0.7)"; x.fillText("phoneguard \u2603 device", 4, 17);
      x.beginPath(); x.arc(50, 30, 20, 0, Math.PI * 2, true); x.closePath(); x.fill();
      return hash(c.toDataURL());
    }, undefined);
  }

  function webglRenderer() {
    return safe(function () {
      var c = document.createElement("canvas");
      var gl = c.getContext("webgl") || c.getContext("experimental-webgl");
      if (!gl) return undefined;
      var ext = gl.getExtension("WEBGL_debug_renderer_info");
      var r = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
      return r ? String(r).slice(0, 256) : undefined;
    }, undefined);
  }

  function readCookie() {
    return safe(function () {
      var m = document.cookie.match(/(?:^|;\s*)phoneguard_device_id=([^;]+)/);
      return m ? decodeURIComponent(m[1]) : undefined;
    }, undefined);
  }

  function storedId() {
    var id = safe(function () { return root.localStorage.getItem(STORE); }, null) || readCookie();
    return id && /^dev_[0-9a-f]{32}$/.test(id) ? id : undefined;
  }

  function keep(id) {
    var ok = false;
    safe(function () { root.localStorage.setItem(STORE, id); ok = true; });
    safe(function () {
      document.cookie = STORE + "=" + encodeURIComponent(id) + "; max-age=" + 400 * 86400 +
        "; path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
    });
    return ok;
  }

  function storageWorks() {
    return safe(function () {
      root.localStorage.setItem("phoneguard_probe", "1");
      root.localStorage.removeItem("phoneguard_probe");
      return navigator.cookieEnabled !== false;
    }, false);
  }

  function signals() {
    var n = root.navigator || {};
    var s = root.screen || {};
    var doc = {
      user_agent: safe(function () { return String(n.userAgent).slice(0, 1024); }, undefined),
      platform: safe(function () { return n.platform ? String(n.platform).slice(0, 64) : undefined; }, undefined),
      languages: safe(function () { return Array.prototype.slice.call(n.languages || [n.language]).slice(0, 16); }, undefined),
      timezone: safe(function () { return Intl.DateTimeFormat().resolvedOptions().timeZone; }, undefined),
      screen: safe(function () { return { width: s.width, height: s.height, color_depth: s.colorDepth }; }, undefined),
      hardware_concurrency: safe(function () { return n.hardwareConcurrency; }, undefined),
      device_memory: safe(function () { return n.deviceMemory; }, undefined),
      touch_points: safe(function () { return n.maxTouchPoints; }, undefined),
      canvas_hash: canvasHash(),
      webgl_renderer: webglRenderer(),
      webdriver: safe(function () { return n.webdriver === true; }, false),
      storage: storageWorks()
    };
    var hints = safe(function () { return n.userAgentData; }, undefined);
    if (hints) {
      doc.client_hints = {
        brands: safe(function () { return hints.brands.map(function (b) { return String(b.brand); }).slice(0, 16); }, undefined),
        mobile: !!hints.mobile,
        platform: hints.platform ? String(hints.platform) : undefined
      };
    }
    var id = storedId();
    if (id) doc.device_id = id;
    return doc;
  }

  function init(options) {
    options = options || {};
    if (!options.key || !/^pub_(test|live)_/.test(options.key)) {
      return Promise.reject(new Error("phoneguard.init: key must be a publishable key (pub_test_… / pub_live_…)"));
    }
    var endpoint = String(options.endpoint || "").replace(/\/+$/, "");
    return fetch(endpoint + "/v1/devices", {
      method: "POST",
      headers: { "Authorization": "Bearer " + options.key, "Content-Type": "application/json" },
      body: JSON.stringify(signals()),
      credentials: "omit"
    }).then(function (r) {
      return r.json().then(function (body) {
        if (!r.ok) throw new Error("phoneguard: " + r.status + " " + (body.detail || body.code || ""));
        keep(body.device_id);
        return body;
      });
    });
  }

  root.phoneguard = { init: init, version: "1", collect: signals };
})(typeof window !== "undefined" ? window : this);
