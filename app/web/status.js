// The peer's status page: GET /v1/me/certifications with the peer's token, rendered for people.
// The token comes from the form or the link's #token=... fragment, lives in sessionStorage only,
// and is removed from the address bar at once; it never goes into a query string.
"use strict";

(() => {
  const KEY = "peer-ce.token";
  const STATUS = {
    compliant: ["Compliant", "check", "ok", "Every requirement of this cycle is met."],
    in_progress: ["In progress", "clock", "info", "The cycle is under way; there is still time to earn the hours."],
    due_soon: ["Due soon", "alert", "warn", "The cycle ends soon and requirements are still unmet."],
    overdue: ["Overdue", "alert", "bad", "Your renewal is late: the cycle ended with requirements unmet."],
    lapsed: ["Lapsed", "cross", "bad", "This certification has lapsed: the cycle and any grace period ended with requirements unmet."],
    suspended: ["Suspended", "pause", "hold", "Your board has suspended this certification."],
    revoked: ["Revoked", "stop", "hold", "Your board has revoked this certification."],
    inactive: ["Inactive", "dash", "hold", "This certification is inactive."],
  };
  const BOARD_ONLY = ["lapsed", "suspended", "revoked", "inactive"];
  const NEXT_CHANGE = {
    compliant: "Next cycle starts", in_progress: "Counts as due soon from", due_soon: "Counts as overdue from",
    overdue: "Lapses on",
  };
  const MODALITY = { in_person: "in person", live_virtual: "live virtual", self_paced: "self-paced" };
  const { $, el, say, day, dayText, num, plain, icon } = window.PeerCE;
  let seq = 0;
  let taken = []; // the peer's own completions: a course counts once per cycle, so taken ones are not suggested

  const hours = (n) => `${num(n)} ${Number(n) === 1 ? "hour" : "hours"}`;
  const words = (slug) => String(slug).replace(/[-_]+/g, " ");
  const upper = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  const token = () => sessionStorage.getItem(KEY);
  const addDays = (iso, n) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86400000).toISOString().slice(0, 10);

  function takeTokenFromFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const value = params.get("token");
    if (value) sessionStorage.setItem(KEY, value.trim());
    if (location.hash) history.replaceState(null, "", location.pathname);
  }

  async function api(path, withToken, init) {
    const headers = { Accept: "application/json" };
    if (withToken) headers.Authorization = `Bearer ${token()}`;
    const response = await fetch(path, { headers, cache: "no-store", credentials: "omit", ...(init || {}) });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  function showSignin(show) {
    $("signin").hidden = !show;
    $("results").hidden = show;
    $("self-report").hidden = show;
  }

  async function load() {
    if (!token()) { showSignin(true); return; }
    say("Loading your certifications…");
    let answer;
    try {
      answer = await api("/v1/me/certifications", true);
    } catch {
      const retry = el("button", { type: "button", class: "secondary" }, "Try again");
      retry.addEventListener("click", load);
      say([el("strong", {}, "We could not reach peer-ce. "),
        "Check your internet connection, then try again. Your token is kept in this tab.", " ", retry], "error");
      return;
    }
    if (answer.status === 401 || answer.status === 403) {
      sessionStorage.removeItem(KEY);
      showSignin(true);
      const detail = answer.body && answer.body.detail ? ` The service said: ${answer.body.detail}` : "";
      const lead = answer.status === 401
        ? "Your access token has expired or is not valid"
        : "This token is not a peer's token, so it has no certifications to show";
      say([el("strong", {}, `${lead}.`), `${detail} Ask your board or training center for a new one and paste it below.`], "error");
      $("token").focus();
      return;
    }
    if (answer.status === 404) {
      sessionStorage.removeItem(KEY);
      showSignin(true);
      say([el("strong", {}, "No record matches this token. "), (answer.body && answer.body.detail) || "",
        " Ask your board for a new token."], "error");
      return;
    }
    if (!answer.ok) {
      const p = answer.body || {};
      say([el("strong", {}, `Something went wrong (${answer.status} ${p.title || "error"}). `),
        p.detail || "Please try again later.", p.request_id ? ` Reference: ${p.request_id}.` : ""], "error");
      return;
    }
    const [names, mine] = await Promise.all([
      api("/v1/credentials?limit=200", false).catch(() => null),
      api("/v1/completions?limit=500", true).catch(() => null),
    ]);
    const byCode = {};
    for (const c of (names && names.ok && names.body.items) || []) byCode[c.code] = c;
    taken = (mine && mine.ok && mine.body.items) || [];
    render(answer.body.items, byCode);
    renderReports();
  }

  function render(items, byCode) {
    showSignin(false);
    say("");
    const list = $("certifications");
    list.replaceChildren();
    if (!items.length) {
      list.append(el("p", { class: "panel" }, "No certification is recorded for you yet. If you were certified recently, ask your board."));
      $("as-of").replaceChildren();
    } else {
      const person = items[0].certification.person;
      $("as-of").replaceChildren(`Signed in as ${person.given_name} ${person.family_name}. Worked out on `, day(items[0].compliance.as_of), ".");
      $("transcript-link").hidden = false;
      for (const item of items) list.append(card(item, byCode[item.certification.credential_code]));
    }
    $("results-title").focus();
  }

  function rulesOf(credential) {
    return (credential && credential.current && credential.current.rules) || {};
  }

  function card({ certification: cert, compliance: c }, credential) {
    const [word, glyph, tone, explain] = STATUS[c.status] || [c.status, "dash", "info", ""];
    const title = credential ? `${credential.name} (${cert.credential_code})` : cert.credential_code;
    const headingId = `cert-${cert.id}`;
    const rules = rulesOf(credential);
    const titles = {};
    for (const x of taken) titles[x.id] = x.title;
    const graceEnds = c.grace_ends_on && c.grace_ends_on !== c.cycle_end ? c.grace_ends_on : null;
    const article = el("article", { class: `cert tone-${tone}`, "aria-labelledby": headingId, "data-status": c.status },
      el("h3", { id: headingId }, title),
      el("p", { class: "meta" }, `${cert.state} · No. ${cert.number} · issued `, day(cert.issued_on)),
      el("p", { class: `badge tone-${tone}` }, icon(glyph), ` ${word}`),
      el("p", { class: "explain" }, explain),
      nextStep(c, rules, credential),
      el("dl", { class: "dates" },
        el("div", {}, el("dt", {}, "Cycle"), el("dd", {}, day(c.cycle_start), " to ", day(c.cycle_end))),
        el("div", {}, el("dt", {}, c.status === "overdue" || c.status === "lapsed" ? "Was due by" : "Due by"),
          el("dd", {}, day(c.filing_due_on || c.cycle_end))),
        el("div", {}, el("dt", {}, "Grace period ends"), el("dd", {}, graceEnds ? day(graceEnds) : "No grace period")),
        c.next_change_on && NEXT_CHANGE[c.status]
          ? el("div", {}, el("dt", {}, NEXT_CHANGE[c.status]), el("dd", {}, day(c.next_change_on))) : null),
      requirements(c),
      c.reasons.length ? el("section", { class: "reasons", "aria-label": `How ${cert.credential_code} was worked out` },
        el("h4", {}, "How this was worked out"),
        el("ul", {}, c.reasons.map((r) => el("li", {}, reasonText(r, c, titles))))) : null);
    if (!BOARD_ONLY.includes(c.status)) {
      const gap = el("section", { class: "gap", "aria-label": `Courses that would close your ${cert.credential_code} gap` });
      article.append(gap);
      fillGap(gap, c, rules);
    }
    return article;
  }

  // A pending self-report reads "waiting for board review", with the day it was reported.
  function reasonText(reason, c, titles) {
    const pending = /^Completion #(\d+) .*not accepted \(pending review or voided\)$/.exec(reason);
    if (pending) {
      const x = taken.find((t) => String(t.id) === pending[1]);
      if (x && x.status === "pending") {
        return `“${x.title}” (${dayText(x.completed_on)}) is waiting for board review (reported on ${dayText(x.created_at.slice(0, 10))}); it counts once accepted.`;
      }
      if (x && x.status === "voided") return `“${x.title}” (${dayText(x.completed_on)}) was voided and does not count.`;
    }
    return plain(reason, titles);
  }

  function contactOf(rules, credential) {
    const who = rules.contact;
    const board = (credential && credential.body) || "your certification board";
    if (!who) return el("p", { class: "contact" }, `Contact your certification board (${board}).`);
    const ways = [];
    if (who.url) ways.push(el("a", { href: who.url, rel: "noopener noreferrer" }, "their website"));
    if (who.email) ways.push(el("a", { href: `mailto:${who.email}` }, who.email));
    if (who.phone) ways.push(el("a", { href: `tel:${who.phone.replace(/[^0-9+]/g, "")}` }, who.phone));
    const joined = [];
    ways.forEach((w, i) => joined.push(i ? (i === ways.length - 1 ? " or " : ", ") : "", w));
    return el("p", { class: "contact" }, "Contact ", el("strong", {}, who.name), ": ", joined, ".");
  }

  // What to do next, and by when: the one thing a peer should read first.
  function nextStep(c, rules, credential) {
    const left = Number(c.remaining_hours) > 0;
    const open = c.categories.filter((r) => Number(r.remaining_hours) > 0).length
      + c.modality_minimums.filter((m) => Number(m.remaining_hours) > 0).length
      + c.other_requirements.filter((o) => !o.met).length;
    const box = (kind, ...parts) => el("div", { class: `next ${kind}`, role: "note" }, el("h4", {}, "What to do next"), ...parts);
    const pending = taken.filter((x) => x.status === "pending" && x.completed_on >= c.cycle_start);
    const waiting = pending.length
      ? el("p", {}, `${pending.length === 1 ? "One report" : `${pending.length} reports`} of yours ${pending.length === 1 ? "is" : "are"} waiting for board review; `
        + "accepted hours will count here.") : null;
    const need = left ? `earn ${num(c.remaining_hours)} more ${Number(c.remaining_hours) === 1 ? "hour" : "hours"}` : `complete the ${open} open requirement${open > 1 ? "s" : ""} below`;
    switch (c.status) {
      case "compliant":
        return box("ok", el("p", {}, "Nothing for now: this cycle is complete. Your next cycle starts on ",
          day(addDays(c.cycle_end, 1)), "; CE you take from then counts toward it."));
      case "in_progress":
      case "due_soon": {
        if (!left && !open) return null;
        return box(c.status === "due_soon" ? "warn" : "info",
          el("p", {}, el("strong", {}, [upper(need), " by "], day(c.filing_due_on || c.cycle_end, "long"), "."),
            c.status === "due_soon" ? " That is soon." : ""), waiting);
      }
      case "overdue": {
        const graceEnd = c.grace_ends_on;
        const countsLate = rules.grace_counts_ce !== false;
        const beforeEnd = c.as_of <= c.cycle_end;
        if (beforeEnd) {
          return box("bad", el("p", {}, el("strong", {}, "Your renewal is late. "), "It was due by ", day(c.filing_due_on),
            ". ", upper(need), " by ", el("strong", {}, day(c.cycle_end, "long")), " and file your renewal with your board as soon as you can."),
          contactOf(rules, credential), waiting);
        }
        if (countsLate && (left || open)) {
          return box("bad", el("p", {}, el("strong", {}, "You are late. "), "The cycle ended on ", day(c.cycle_end),
            ". You are in the grace period: ", need, " by ", el("strong", {}, day(graceEnd, "long")),
            ", when the grace period ends; after that the certification lapses."), contactOf(rules, credential), waiting);
        }
        return box("bad", el("p", {}, el("strong", {}, "You are late. "), "The cycle ended on ", day(c.cycle_end),
          `. CE taken after that day does not count for ${c.credential_code}; ask your board about a late renewal before `,
          el("strong", {}, day(graceEnd, "long")), ", when the grace period ends."), contactOf(rules, credential));
      }
      case "lapsed":
        return box("bad", el("p", {}, "The cycle ended on ", day(c.cycle_end),
          c.grace_ends_on !== c.cycle_end ? [" and the grace period on ", day(c.grace_ends_on)] : "",
          " with requirements unmet. ", el("strong", {}, "More CE will not bring it back: only your board can reinstate it."),
          " Ask them what they need from you."), contactOf(rules, credential));
      case "suspended":
      case "revoked":
      case "inactive":
        return box("hold", el("p", {}, el("strong", {}, "Only your board can change this status: "),
          "ask them what happened and what they need from you. Your CE is kept and shown below for reference; courses will not change it."),
        contactOf(rules, credential));
      default:
        return null;
    }
  }

  function bar(label, earned, required, note, cap) {
    const id = `req-${++seq}`;
    const done = Number(earned) >= Number(required);
    const left = Math.max(Number(required) - Number(earned), 0);
    const text = cap ? `${hours(earned)} of ${hours(required)} used${done ? " · cap reached" : ""}`
      : done ? `${hours(earned)} of ${hours(required)} · met` : `${hours(earned)} of ${hours(required)} · ${hours(left)} to go`;
    return el("li", { class: `req${done && !cap ? " done" : ""}` },
      el("div", { class: "req-head" }, el("label", { for: id }, upper(label)),
        el("span", { class: "req-value" }, done && !cap ? icon("check") : null, " ", text)),
      el("progress", { id, max: Number(required) || 1, value: Math.min(Number(earned), Number(required) || 1), "aria-valuetext": text }),
      note ? el("p", { class: "hint" }, note) : null);
  }

  function requirements(c) {
    const rows = [bar("All CE hours", c.earned_hours, c.required_hours)];
    for (const r of c.categories) rows.push(bar(r.label || words(r.category), r.earned_hours, r.required_hours));
    for (const m of c.modality_minimums) {
      rows.push(bar(m.label || `${m.modalities.map((x) => MODALITY[x] || words(x)).join(" or ")} (minimum)`, m.earned_hours, m.required_hours));
    }
    for (const o of c.other_requirements) {
      if (o.required_hours !== null && o.required_hours !== undefined) {
        rows.push(bar(o.description, o.earned_hours || 0, o.required_hours));
      } else {
        rows.push(el("li", { class: `req other${o.met ? " done" : ""}` },
          el("div", { class: "req-head" }, el("span", {}, upper(o.description)),
            el("span", { class: "req-value" }, icon(o.met ? "check" : "dash"), o.met ? " met" : " not yet recorded"))));
      }
    }
    for (const cap of c.caps) {
      const what = cap.modality ? `${MODALITY[cap.modality] || words(cap.modality)} hours` : `${words(cap.category)} hours`;
      const note = cap.reached ? `Limit reached: further ${what} do not count this cycle.`
        : `A limit, not a requirement: at most ${hours(cap.max_hours)} of ${what} count.`;
      const row = bar(`Limit on ${what}`, cap.used_hours, cap.max_hours, note, true);
      row.classList.add("cap");
      if (cap.reached) row.classList.add("reached");
      rows.push(row);
    }
    return el("section", { class: "reqs", "aria-label": "Requirements" }, el("h4", {}, "Requirements"), el("ul", { class: "req-list" }, rows));
  }

  async function fillGap(section, c, rules) {
    const missing = c.categories.filter((r) => Number(r.remaining_hours) > 0);
    if (!missing.length && !(Number(c.remaining_hours) > 0)) { section.remove(); return; }
    if (c.status === "overdue" && rules.grace_counts_ce === false && c.as_of > c.cycle_end) { section.remove(); return; }
    section.append(el("h4", {}, "Courses that would close your gap"));
    const status = el("p", { class: "hint" }, "Looking for approved courses…");
    section.append(status);
    const seen = new Set(taken.filter((x) => x.course_id && ["accepted", "pending"].includes(x.status)
      && x.completed_on >= c.cycle_start && x.completed_on <= c.cycle_end).map((x) => x.course_id));
    const groups = missing.map((r) => [`${upper(r.label || words(r.category))}: ${hours(r.remaining_hours)} to go`, `&category=${encodeURIComponent(r.category)}`]);
    const any = rules.approved_only === false ? "Any course" : "Any approved course";
    if (Number(c.remaining_hours) > 0) groups.push([`${any}: ${hours(c.remaining_hours)} to go in all`, ""]);
    try {
      for (const [heading, filter] of groups) {
        const found = await api(`/v1/courses?credential_code=${encodeURIComponent(c.credential_code)}${filter}&limit=6`, false);
        if (!found.ok) throw new Error(String(found.status));
        const courses = found.body.items.filter((x) => !seen.has(x.id)).slice(0, 4);
        courses.forEach((x) => seen.add(x.id));
        const none = found.body.items.length
          ? "The courses listed above count toward this too."
          : "No approved course for this in the catalog yet; ask your board or training center.";
        section.append(el("h5", {}, heading), courses.length
          ? el("ul", { class: "courses" }, courses.map((x) => course(x, c.credential_code)))
          : el("p", { class: "hint" }, none));
      }
      if (rules.approved_only === false) {
        section.append(el("p", { class: "hint" }, "Courses from other providers count too: report them below with their certificate."));
      }
      status.remove();
    } catch {
      status.textContent = "The course catalog could not be loaded just now; refresh to try again.";
    }
  }

  function course(x, code) {
    const approval = (x.approvals || []).find((a) => a.credential_code === code);
    const credited = approval && approval.hours !== null ? approval.hours : x.hours;
    const title = x.url ? el("a", { href: x.url, rel: "noopener noreferrer" }, x.title) : x.title;
    return el("li", {}, el("span", { class: "course-title" }, title),
      el("span", { class: "hint" }, ` ${hours(credited)} · ${MODALITY[x.modality] || words(x.modality)} · ${x.provider.name}`));
  }

  // --- CE the peer reported ------------------------------------------------------------------

  function renderReports() {
    const mine = taken.filter((x) => x.source === "self_report").sort((a, b) => (a.created_at < b.created_at ? 1 : -1));
    const list = $("reports");
    list.replaceChildren();
    if (!mine.length) {
      list.append(el("p", { class: "hint" }, "You have not reported any CE here yet."));
      return;
    }
    list.append(el("ul", { class: "report-list" }, mine.map((x) => {
      const [label, tone] = x.status === "pending" ? ["Waiting for board review", "warn"]
        : x.status === "accepted" ? ["Accepted", "ok"] : x.status === "rejected" ? ["Not accepted", "bad"] : ["Voided", "hold"];
      return el("li", { class: "report", "data-status": x.status },
        el("span", { class: "course-title" }, x.title),
        el("span", { class: "hint" }, ` ${hours(x.hours)} · ${MODALITY[x.modality] || words(x.modality)}${x.provider_name ? ` · ${x.provider_name}` : ""} · taken `, day(x.completed_on)),
        el("span", { class: `chip tone-${tone}` }, label),
        x.status === "pending" ? el("span", { class: "hint" }, " since ", day(x.created_at.slice(0, 10))) : null,
        x.review_reason && x.status !== "pending" ? el("span", { class: "block" }, `Board's note: ${x.review_reason}`) : null,
        x.has_evidence ? el("span", { class: "hint block" }, "Certificate attached.") : null,
        x.status === "accepted" ? el("a", { class: "block", href: `/certificate#id=${x.id}` }, "Certificate page") : null);
    })));
  }

  function fieldOf(loc) {
    const name = (loc || []).filter((x) => x !== "body").pop();
    const map = { provider_name: "sr-provider", title: "sr-title", hours: "sr-hours", modality: "sr-modality",
      completed_on: "sr-date", evidence: "sr-evidence" };
    return map[name] ? $(map[name]) : null;
  }

  async function report(event) {
    event.preventDefault();
    const form = $("report-form");
    for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
    const file = $("sr-evidence").files[0];
    const max = Number($("sr-evidence").dataset.maxBytes);
    if (file && max && file.size > max) {
      $("sr-evidence").setAttribute("aria-invalid", "true");
      say(`The file is too large: at most ${Math.floor(max / 1048576)} MB.`, "error");
      $("sr-evidence").focus();
      return;
    }
    const data = new FormData(form);
    if (!file) data.delete("evidence");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say("Sending your report…");
    let answer;
    try {
      answer = await api("/v1/completions", true, { method: "POST", body: data });
    } catch {
      say("We could not reach peer-ce; nothing was sent. Try again.", "error");
      button.disabled = false;
      return;
    }
    button.disabled = false;
    if (!answer.ok) {
      const p = answer.body || {};
      const errors = p.errors || [];
      let first = null;
      for (const e of errors) {
        const input = fieldOf(e.loc);
        if (input) { input.setAttribute("aria-invalid", "true"); first = first || input; }
      }
      say([el("strong", {}, "Your report was not sent. "), p.detail || p.title || `Error ${answer.status}.`,
        errors.length ? el("ul", {}, errors.map((e) => el("li", {}, `${(e.field || "").replace(/^body\./, "")}: ${e.message}`))) : ""], "error");
      (first || $("sr-title")).focus();
      return;
    }
    form.reset();
    say([el("strong", {}, "Sent. "), `“${answer.body.title}” is waiting for board review; you will see the board's answer here.`]);
    const mine = await api("/v1/completions?limit=500", true).catch(() => null);
    if (mine && mine.ok) taken = mine.body.items;
    renderReports();
    $("reports-title").focus();
  }

  function signIn(event) {
    event.preventDefault();
    const field = $("token");
    const value = field.value.trim();
    if (!value) {
      field.setAttribute("aria-invalid", "true");
      say("Paste your access token first.", "error");
      field.focus();
      return;
    }
    field.removeAttribute("aria-invalid");
    sessionStorage.setItem(KEY, value);
    field.value = "";
    load();
  }

  function forget() {
    sessionStorage.removeItem(KEY);
    $("certifications").replaceChildren();
    $("reports").replaceChildren();
    showSignin(true);
    say("Your token was forgotten in this tab.");
    $("token").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    takeTokenFromFragment();
    $("sr-date").max = new Date().toISOString().slice(0, 10);
    $("token-form").addEventListener("submit", signIn);
    $("report-form").addEventListener("submit", report);
    $("forget").addEventListener("click", forget);
    $("refresh").addEventListener("click", load);
    window.addEventListener("hashchange", () => { takeTokenFromFragment(); load(); });
    load();
  });
})();
