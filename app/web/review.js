// The board's review queue on /board: peers' self-reported CE waiting for review (GET /v1/completions?status=
// pending), each with its evidence file, accepted or rejected with a reason the peer sees (POST .../review).
"use strict";

(() => {
  const KEY = "peer-ce.board-token";
  const MODALITY = { in_person: "in person", live_virtual: "live virtual", self_paced: "self-paced" };
  const { $, el, day, num } = window.PeerCE;
  const token = () => sessionStorage.getItem(KEY);
  const people = {};

  async function api(path, init) {
    const headers = { Accept: "application/json", Authorization: `Bearer ${token()}` };
    if (init && init.body) headers["Content-Type"] = "application/json";
    const response = await fetch(path, { headers, cache: "no-store", credentials: "omit", ...(init || {}) });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  async function nameOf(id) {
    if (!(id in people)) {
      const answer = await api(`/v1/people/${id}`).catch(() => null);
      people[id] = answer && answer.ok ? `${answer.body.given_name} ${answer.body.family_name}` : `Person ${id}`;
    }
    return people[id];
  }

  async function openEvidence(id, button) {
    button.disabled = true;
    try {
      const response = await fetch(`/v1/completions/${id}/evidence`, {
        headers: { Authorization: `Bearer ${token()}` }, cache: "no-store", credentials: "omit" });
      if (!response.ok) throw new Error(String(response.status));
      const url = URL.createObjectURL(await response.blob());
      const link = el("a", { href: url, download: `evidence-${id}` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60000);
    } catch {
      button.after(el("span", { class: "hint" }, " The file could not be loaded."));
    } finally {
      button.disabled = false;
    }
  }

  async function decide(x, decision, form) {
    const reason = form.querySelector("textarea");
    const note = form.querySelector(".outcome");
    if (reason.value.trim().length < 3) {
      reason.setAttribute("aria-invalid", "true");
      note.textContent = "Write a reason the peer will read (at least 3 characters).";
      reason.focus();
      return;
    }
    reason.removeAttribute("aria-invalid");
    for (const b of form.querySelectorAll("button")) b.disabled = true;
    const answer = await api(`/v1/completions/${x.id}/review`, {
      method: "POST", body: JSON.stringify({ decision, reason: reason.value.trim() }) }).catch(() => null);
    if (!answer || !answer.ok) {
      for (const b of form.querySelectorAll("button")) b.disabled = false;
      note.textContent = `Not saved: ${(answer && answer.body && answer.body.detail) || "peer-ce could not be reached"}`;
      return;
    }
    form.closest("li").replaceChildren(el("p", { class: "done" },
      `${decision === "approve" ? "Accepted" : "Rejected"}: “${x.title}”. The peer sees your reason.`));
  }

  function item(x, name) {
    const id = `review-${x.id}`;
    const form = el("form", { class: "review-form", novalidate: true },
      el("label", { for: id }, "Reason the peer will see"),
      el("textarea", { id, rows: 2, maxlength: 1000, required: true }),
      el("div", { class: "actions" },
        el("button", { type: "button", "data-decision": "approve" }, "Accept"),
        el("button", { type: "button", class: "secondary", "data-decision": "reject" }, "Reject")),
      el("p", { class: "outcome hint", role: "status" }));
    for (const b of form.querySelectorAll("button")) b.addEventListener("click", () => decide(x, b.dataset.decision, form));
    const evidence = x.has_evidence ? el("button", { type: "button", class: "secondary small" }, "Open the certificate") : null;
    if (evidence) evidence.addEventListener("click", () => openEvidence(x.id, evidence));
    return el("li", { class: "review", "data-completion": x.id },
      el("p", {}, el("strong", {}, x.title), ` · ${name}`),
      el("p", { class: "hint" }, `${num(x.hours)} ${Number(x.hours) === 1 ? "hour" : "hours"} · ${MODALITY[x.modality] || x.modality}`,
        x.provider_name ? ` · ${x.provider_name}` : "", " · taken ", day(x.completed_on), " · reported ", day(x.created_at.slice(0, 10))),
      evidence || el("p", { class: "hint" }, "No certificate attached."),
      form);
  }

  async function load() {
    const section = $("reviews");
    if (!token()) { section.hidden = true; return; }
    const body = section.querySelector(".body");
    const line = section.querySelector(".state-line");
    line.textContent = "Loading the review queue…";
    const answer = await api("/v1/completions?status=pending&limit=100").catch(() => null);
    if (!answer || !answer.ok) {
      section.hidden = !answer || answer.status === 401 || answer.status === 403;
      line.textContent = "The review queue could not be loaded; refresh to try again.";
      return;
    }
    section.hidden = false;
    const items = answer.body.items;
    line.textContent = items.length ? `${items.length} report${items.length > 1 ? "s" : ""} waiting, oldest first.`
      : "Nothing is waiting for review.";
    const names = await Promise.all(items.map((x) => nameOf(x.person_id)));
    body.replaceChildren(el("ul", { class: "review-list" }, items.map((x, i) => item(x, names[i]))));
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("token-form").addEventListener("submit", () => setTimeout(load));
    $("refresh").addEventListener("click", load);
    $("forget").addEventListener("click", () => { $("reviews").hidden = true; $("reviews").querySelector(".body").replaceChildren(); });
    window.addEventListener("hashchange", () => setTimeout(load));
    load();
  });
})();
