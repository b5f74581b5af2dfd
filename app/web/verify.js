// The employers' verification page: GET /v1/credentials fills the select, GET /v1/verify/{code}/{number} answers.
"use strict";

(() => {
  const STATUS = {
    compliant: ["Compliant", "✓", "ok", "Certified; this cycle's CE is complete."],
    in_progress: ["In progress", "◔", "info", "Certified; the CE cycle is under way."],
    due_soon: ["Due soon", "!", "warn", "Certified; CE is due by the cycle end."],
    overdue: ["Overdue", "⚠", "bad", "CE was due at the cycle end; the grace period is running."],
    lapsed: ["Lapsed", "✕", "bad", "Not in good standing: the CE cycle lapsed."],
    suspended: ["Suspended", "⏸", "hold", "Suspended by the board."],
    revoked: ["Revoked", "⛔", "hold", "Revoked by the board."],
    inactive: ["Inactive", "–", "hold", "Inactive."],
  };
  const { $, el, say } = window.PeerCE;
  const day = (iso) => window.PeerCE.day(iso, "long");

  async function loadCredentials() {
    const select = $("credential");
    try {
      const response = await fetch("/v1/credentials", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const items = (await response.json()).items.sort((a, b) => a.state.localeCompare(b.state) || a.code.localeCompare(b.code));
      select.replaceChildren(el("option", { value: "" }, "Choose a credential"),
        ...items.map((c) => el("option", { value: c.code }, `${c.state} · ${c.name} (${c.code})`)));
    } catch {
      select.replaceChildren(el("option", { value: "" }, "Credentials could not be loaded"));
      say([el("strong", {}, "We could not reach peer-ce. "), "Check your connection and reload the page."], "error");
    }
  }

  function field(name, ...values) {
    return el("div", {}, el("dt", {}, name), el("dd", {}, ...values));
  }

  async function verify(event) {
    event.preventDefault();
    const code = $("credential").value;
    const number = $("number").value.trim();
    $("credential").toggleAttribute("aria-invalid", !code);
    $("number").toggleAttribute("aria-invalid", !number);
    if (!code || !number) {
      say(!code ? "Choose the credential first." : "Enter the certification number.", "error");
      (!code ? $("credential") : $("number")).focus();
      return;
    }
    $("result").hidden = true;
    say("Checking…");
    let response;
    let body = null;
    try {
      response = await fetch(`/v1/verify/${encodeURIComponent(code)}/${encodeURIComponent(number)}`,
        { headers: { Accept: "application/json" }, cache: "no-store" });
      body = await response.json().catch(() => null);
    } catch {
      say([el("strong", {}, "We could not reach peer-ce. "), "Check your connection and try again."], "error");
      return;
    }
    if (response.status === 404) {
      say([el("strong", {}, "Not found. "), `No ${code} certification has the number “${number}”. `,
        "Check the number and the credential; a certification that is not in the registry cannot be confirmed."], "error");
      return;
    }
    if (response.status === 429) {
      say([el("strong", {}, "Too many checks. "), "Please wait a minute and try again."], "error");
      return;
    }
    if (!response.ok) {
      say([el("strong", {}, `The check failed (${response.status}). `), (body && body.detail) || "Please try again later."], "error");
      return;
    }
    const [word, icon, tone, note] = STATUS[body.status] || [body.status, "?", "info", ""];
    say("");
    $("result-fields").replaceChildren(
      field("Name", body.name),
      field("Credential", `${body.credential_name} (${body.credential_code}), ${body.state}`),
      field("Number", body.number),
      field("Status", el("span", { class: `badge tone-${tone}` }, el("span", { "aria-hidden": "true", class: "icon" }, icon), ` ${word}`),
        el("span", { class: "hint block" }, note)),
      field("Current cycle ends", day(body.current_cycle_end)));
    $("result").hidden = false;
    $("result-title").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("verify-form").addEventListener("submit", verify);
    loadCredentials();
  });
})();
