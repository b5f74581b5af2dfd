// Printable pages: the peer's transcript (/transcript), a completion's certificate (/certificate#id=N) and the
// public check a certificate's QR code opens (/certificate-check#<uuid>). The peer's token is the status
// page's (sessionStorage, this tab only); the check needs none.
"use strict";

(() => {
  const KEY = "peer-ce.token";
  const MODALITY = { in_person: "in person", live_virtual: "live virtual", self_paced: "self-paced" };
  const STATUS = {
    compliant: "Compliant", in_progress: "In progress", due_soon: "Due soon", overdue: "Overdue", lapsed: "Lapsed",
    suspended: "Suspended", revoked: "Revoked", inactive: "Inactive", renewed: "Renewed", met: "Met", unmet: "Not met",
  };
  const { $, el, say, day, dayText, num, plain } = window.PeerCE;
  const token = () => sessionStorage.getItem(KEY);
  const hours = (n) => `${num(n)} ${Number(n) === 1 ? "hour" : "hours"}`;
  const words = (s) => String(s).replace(/[-_]+/g, " ");
  const upper = (text) => text.charAt(0).toUpperCase() + text.slice(1);

  async function api(path, withToken) {
    const headers = { Accept: "application/json" };
    if (withToken) headers.Authorization = `Bearer ${token()}`;
    const response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  function claims() {
    try {
      const part = token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    } catch {
      return {};
    }
  }

  function refused(answer) {
    const p = answer.body || {};
    if (answer.status === 401) {
      say([el("strong", {}, "Sign in first. "), "Open ", el("a", { href: "/status" }, "your status page"),
        " with your access token, then come back."], "error");
    } else {
      say([el("strong", {}, `${p.title || "Something went wrong"}. `), p.detail || ""], "error");
    }
  }

  function printed() {
    $("printed").textContent = `Printed from peer-ce on ${dayText(new Date().toISOString().slice(0, 10), "long")}.`;
  }

  // --- transcript ------------------------------------------------------------------------------

  async function transcript() {
    const person = claims().person_id;
    if (!token() || !person) { refused({ status: 401 }); return; }
    const answer = await api(`/v1/people/${person}/transcript`, true);
    if (!answer.ok) { refused(answer); return; }
    const t = answer.body;
    $("who").replaceChildren(el("strong", {}, t.name), " · as of ", day(t.as_of, "long"));
    const paper = $("paper");
    paper.replaceChildren();
    if (!t.certifications.length) paper.append(el("p", { class: "panel" }, "No certification is recorded for you yet."));
    for (const c of t.certifications) {
      const section = el("section", { class: "paper-section", "aria-labelledby": `t-${c.certification_id}` },
        el("h2", { id: `t-${c.certification_id}` }, `${c.credential_code} · ${c.state} · No. ${c.number}`));
      for (const cycle of c.cycles) {
        section.append(el("h3", {}, "Cycle ", day(cycle.start), " to ", day(cycle.end), ` · ${STATUS[cycle.status] || words(cycle.status)}`),
          el("p", { class: "hint" }, `${hours(cycle.earned_hours)} of ${hours(cycle.required_hours)} earned`,
            cycle.met_on ? [" · met on ", day(cycle.met_on)] : "",
            cycle.categories.length ? ` · ${cycle.categories.map((r) => `${r.label || words(r.category)}: ${num(r.earned_hours)} of ${num(r.required_hours)}`).join("; ")}` : ""));
        if (!cycle.completions.length) {
          section.append(el("p", { class: "hint" }, "No CE recorded in this cycle."));
          continue;
        }
        section.append(el("div", { class: "table-wrap" }, el("table", { class: "lines" },
          el("caption", { class: "vh" }, `CE in the cycle ending ${dayText(cycle.end)}`),
          el("thead", {}, el("tr", {}, ["Date", "Course", "Hours", "Counted", "Why"].map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, cycle.completions.map((x) => el("tr", { "data-status": x.status },
            el("td", { "data-label": "Date" }, day(x.completed_on)),
            el("td", { "data-label": "Course" }, el("strong", {}, x.title), x.provider_name ? el("span", { class: "block hint" }, x.provider_name) : null,
              x.status === "accepted" ? el("a", { class: "block no-print", href: `/certificate#id=${x.completion_id}` }, "Certificate") : null,
              x.status === "pending" ? el("span", { class: "block hint" }, "Waiting for board review") : null),
            el("td", { "data-label": "Hours", class: "num" }, num(x.hours)),
            el("td", { "data-label": "Counted", class: "num" }, num(x.counted_hours)),
            el("td", { "data-label": "Why" }, upper(plain(x.reason)))))))));
      }
      paper.append(section);
    }
    printed();
  }

  // --- certificate -----------------------------------------------------------------------------

  async function certificate() {
    const id = new URLSearchParams(location.hash.replace(/^#/, "")).get("id");
    if (!token()) { refused({ status: 401 }); return; }
    if (!id || !/^\d+$/.test(id)) { say("Open a certificate from your transcript or status page.", "error"); return; }
    const [answer, completion] = await Promise.all([api(`/v1/completions/${id}/certificate`, true), api(`/v1/completions/${id}`, true)]);
    if (!answer.ok) { refused(answer); return; }
    const cert = answer.body;
    const person = completion.ok ? await api(`/v1/people/${completion.body.person_id}`, true) : null;
    const name = person && person.ok ? `${person.body.given_name} ${person.body.family_name}` : "The holder";
    const subject = cert.credential.credentialSubject;
    const a = subject.achievement;
    const uuid = cert.credential_id.replace(/^urn:uuid:/, "");
    const done = (subject.activityEndDate || "").slice(0, 10);
    const modality = completion.ok ? MODALITY[completion.body.modality] || words(completion.body.modality) : null;
    const checkUrl = `${location.origin}/certificate-check#${uuid}`;
    const paper = $("paper");
    paper.replaceChildren(el("article", { class: `certificate${cert.status === "revoked" ? " revoked" : ""}`, "data-status": cert.status },
      cert.status === "revoked"
        ? el("p", { class: "message error", role: "alert" }, el("strong", {}, "This certificate was withdrawn"),
          cert.revocation_reason === "superseded" ? ": a corrected record replaced it." : ": the record was voided.") : null,
      el("p", { class: "cert-kicker" }, "This certifies that"),
      el("p", { class: "cert-name" }, name),
      el("p", {}, "completed"),
      el("p", { class: "cert-course" }, a.name),
      el("p", {}, `${hours(subject.creditsEarned ?? a.creditsAvailable)} of continuing education`, modality ? `, ${modality}` : "",
        a.creator ? `, given by ${a.creator.name}` : "", done ? [", on ", day(done, "long")] : "", "."),
      (a.alignment || []).length ? el("p", { class: "hint" }, "Approved for: ", a.alignment.map((x) => x.targetName).join("; "), ".") : null,
      el("div", { class: "cert-foot" },
        el("div", {},
          el("p", {}, `Issued by ${cert.credential.issuer.name} on `, day(cert.issued_at.slice(0, 10), "long"), "."),
          el("p", { class: "hint" }, `Certificate id: ${cert.credential_id}`),
          el("p", { class: "hint" }, "Check it at ", el("a", { href: checkUrl }, checkUrl.replace(/#.*/, "")), " or scan the code.")),
        el("img", { class: "qr", src: `/v1/certificates/${uuid}/qr`, alt: `QR code: opens ${checkUrl}`, width: 148, height: 148 }))));
    $("who").replaceChildren();
    printed();
  }

  // --- public check ------------------------------------------------------------------------------

  async function check() {
    const uuid = location.hash.replace(/^#/, "").trim();
    if (!/^[0-9a-f-]{36}$/i.test(uuid)) { say("This link has no certificate id. Scan the code on the certificate again.", "error"); return; }
    const answer = await api(`/v1/certificates/${uuid}/check`, false);
    if (answer.status === 404) { say([el("strong", {}, "No certificate has this id. "), "It was not issued by this service."], "error"); return; }
    if (!answer.ok) { refused(answer); return; }
    const r = answer.body;
    const verdict = r.valid ? "Valid: issued by this service and not withdrawn." : r.superseded
      ? "Withdrawn: a corrected certificate replaced it." : r.voided ? "Withdrawn: the record was voided." : "Not valid.";
    $("paper").replaceChildren(el("section", { class: `panel check ${r.valid ? "tone-ok" : "tone-bad"}`, "data-valid": String(r.valid) },
      el("h2", {}, verdict),
      el("dl", { class: "dates" },
        el("div", {}, el("dt", {}, "Course"), el("dd", {}, r.achievement || "—")),
        el("div", {}, el("dt", {}, "Hours"), el("dd", {}, r.hours !== null ? num(r.hours) : "—")),
        el("div", {}, el("dt", {}, "Completed on"), el("dd", {}, r.completed_on ? day(r.completed_on.slice(0, 10), "long") : "—"))),
      el("p", { class: "hint" }, "The check says nothing about the person: compare the name on the certificate with their ID.")));
    printed();
  }

  document.addEventListener("DOMContentLoaded", () => {
    const print = $("print");
    if (print) print.addEventListener("click", () => window.print());
    const page = document.body.dataset.page;
    ({ transcript, certificate, check })[page]().catch(() => say("peer-ce could not be reached; reload to try again.", "error"));
  });
})();
