"""The passkey page's script: fetch options, run navigator.credentials, post the answer."""

from __future__ import annotations

SCRIPT = r"""
(function () {
  "use strict";
  const go = document.getElementById("go");
  const status = document.getElementById("status");
  const enrol = go.dataset.purpose === "enrol";
  const NO_WEBAUTHN = "This browser cannot verify you here: use the keypad in Telegram.";
  const IN_FRAME =
    "This page cannot use fingerprint or face inside this window: open it in the browser.";
  // Framed by a page that did not delegate WebAuthn (allow="publickey-credentials-..."), the
  // browser refuses with the same NotAllowedError as a failed fingerprint: do not even ask.
  const policy = document.permissionsPolicy || document.featurePolicy;
  const feature = enrol ? "publickey-credentials-create" : "publickey-credentials-get";
  const barred = () => window.self !== window.top && policy && policy.allowsFeature
    && !policy.allowsFeature(feature);
  const base = location.pathname.replace(/\/$/, "");
  const say = (text, state) => { status.textContent = text; status.dataset.state = state; };
  const b64u = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const bytes = (s) => Uint8Array.from(
    atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4)),
    (c) => c.charCodeAt(0));
  async function post(path, body) {
    const r = await fetch(base + path, {
      method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(body || {}), credentials: "omit",
    });
    return [r.status, await r.json()];
  }
  function answer(cred) {
    const r = cred.response, out = {
      id: cred.id, rawId: b64u(cred.rawId), type: cred.type,
      clientExtensionResults: cred.getClientExtensionResults(),
      response: {clientDataJSON: b64u(r.clientDataJSON)},
    };
    if (cred.authenticatorAttachment) out.authenticatorAttachment = cred.authenticatorAttachment;
    if (enrol) {
      out.response.attestationObject = b64u(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = b64u(r.authenticatorData);
      out.response.signature = b64u(r.signature);
      if (r.userHandle) out.response.userHandle = b64u(r.userHandle);
    }
    return out;
  }
  async function run() {
    go.disabled = true;
    say("Waiting for your device…", "busy");
    try {
      if (!window.PublicKeyCredential) {
        say(NO_WEBAUTHN, "error");
        return;
      }
      if (barred()) {
        say(IN_FRAME, "error");
        return;
      }
      const [code, got] = await post("/options");
      if (code !== 200) { say(got.message, "error"); return; }
      const pk = got.options;
      pk.challenge = bytes(pk.challenge);
      let cred;
      try {
        if (enrol) {
          pk.user.id = bytes(pk.user.id);
          (pk.excludeCredentials || []).forEach((c) => { c.id = bytes(c.id); });
          cred = await navigator.credentials.create({publicKey: pk});
        } else {
          (pk.allowCredentials || []).forEach((c) => { c.id = bytes(c.id); });
          cred = await navigator.credentials.get({publicKey: pk});
        }
      } catch (e) {
        // Only "not allowed" is the device refusing (user not verified, or cancelled): it
        // counts. Anything else is this browser, not the payer, and counts for nothing.
        const name = e && e.name;
        if (name === "NotAllowedError") {
          const [, no] = await post("/refused", {challenge: got.challenge});
          say(no.message, "error");
        } else if (enrol && name === "InvalidStateError") {
          say("This device is enrolled already: use it to pay.", "error");
        } else {
          say(NO_WEBAUTHN, "error");
        }
        return;
      }
      const [done, result] = await post("/finish", {credential: answer(cred)});
      say(result.message, done === 200 ? "done" : "error");
    } catch (e) {
      say("Something went wrong; try again.", "error");
    } finally {
      go.disabled = false;
    }
  }
  go.addEventListener("click", run);
})();
"""
