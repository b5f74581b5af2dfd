// The peer's status page: GET /v1/me/certifications with the peer's token, rendered for people.
// The token comes from the form or the link's #token=... fragment, lives in sessionStorage only,
// and is removed from the address bar at once; it never goes into a query string.
"use strict";

(() => {
  const KEY = "peer-ce.token";
  const STATUS = {
    compliant: ["Compliant", "✓", "ok", "Every requirement of this cycle is met."],
    in_progress: ["In progress", "◔", "info", "The cycle is under way; there is still time to earn the hours."],
    due_soon: ["Due soon", "!", "warn", "The cycle ends soon and requirements are still unmet."],
    overdue: ["Overdue", "⚠", "bad", "The cycle ended with requirements unmet; you are in the grace period."],
    lapsed: ["Lapsed", "✕", "bad", "The cycle and any grace period ended with requirements unmet."],
    suspended: ["Suspended", "⏸", "hold", "Your board has suspended this certification."],
    revoked: ["Revoked", "⛔", "hold", "Your board has revoked this certification."],
    inactive: ["Inactive", "–", "hold", "This certification is inactive."],
  };
  const MODALITY = { in_person: "in person", live_virtual: "live virtual", self_paced: "self-paced" };
  const { $, el, say, day } = window.PeerCE;
  let seq = 0;
  let taken = []; // the peer's own completions: a course counts once per cycle, so taken ones are not suggested

  const hours = (n) => `${Number(n).toLocaleString("en-US", { maximumFractionDigits: 2 })} ${Number(n) === 1 ? "hour" : "hours"}`;
  const words = (slug) => String(slug).replace(/[-_]+/g, " ");
  const upper = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  const token = () => sessionStorage.getItem(KEY);

  function takeTokenFromFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const value = params.get("token");
    if (value) sessionStorage.setItem(KEY, value.trim());
    if (location.hash) history.replaceState(null, "", location.pathname);
  }

  async function api(path, withToken) {
    const headers = { Accept: "application/json" };
    if (withToken) headers.Authorization = `Bearer ${token()}`;
    const response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  function showSignin(show) {
    $("signin").hidden = !show;
    $("results").hidden = show;
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
    if (!answer.ok) {
      const p = answer.body || {};
      say([el("strong", {}, `Something went wrong (${answer.status} ${p.title || "error"}). `),
        p.detail || "Please try again later.", p.request_id ? ` Reference: ${p.request_id}.` : ""], "error");
      return;
    }
    const [names, mine] = await Promise.all([
      api("/v1/credentials", false).catch(() => null),
      api("/v1/completions?limit=500", true).catch(() => null),
    ]);
    const byCode = {};
    for (const c of (names && names.ok && names.body.items) || []) byCode[c.code] = c;
    taken = (mine && mine.ok && mine.body.items) || [];
    render(answer.body.items, byCode);
  }

  function render(items, byCode) {
    showSignin(false);
    say("");
    const list = $("certifications");
    list.replaceChildren();
    if (!items.length) {
      list.append(el("p", { class: "panel" }, "No certification is recorded for you yet. If you were certified recently, ask your board."));
    } else {
      const person = items[0].certification.person;
      $("as-of").replaceChildren(`Signed in as ${person.given_name} ${person.family_name}. Evaluated as of `, day(items[0].compliance.as_of), ".");
      for (const item of items) list.append(card(item, byCode[item.certification.credential_code]));
    }
    $("results-title").focus();
  }

  function card({ certification: cert, compliance: c }, credential) {
    const [word, icon, tone, explain] = STATUS[c.status] || [c.status, "?", "info", ""];
    const title = credential ? `${credential.name} (${cert.credential_code})` : cert.credential_code;
    const headingId = `cert-${cert.id}`;
    const article = el("article", { class: `cert tone-${tone}`, "aria-labelledby": headingId, "data-status": c.status },
      el("h3", { id: headingId }, title),
      el("p", { class: "meta" }, `${cert.state} · No. ${cert.number} · issued `, day(cert.issued_on)),
      el("p", { class: `badge tone-${tone}` }, el("span", { "aria-hidden": "true", class: "icon" }, icon), ` ${word}`),
      el("p", { class: "explain" }, explain, " ", summary(c)),
      el("dl", { class: "dates" },
        el("div", {}, el("dt", {}, "Cycle"), el("dd", {}, day(c.cycle_start), " to ", day(c.cycle_end))),
        el("div", {}, el("dt", {}, "Due by"), el("dd", {}, day(c.cycle_end))),
        el("div", {}, el("dt", {}, "Grace period ends"),
          el("dd", {}, c.grace_ends_on && c.grace_ends_on !== c.cycle_end ? day(c.grace_ends_on) : "No grace period")),
        c.next_change_on ? el("div", {}, el("dt", {}, "Status may change on"), el("dd", {}, day(c.next_change_on))) : null),
      requirements(c),
      c.reasons.length ? el("section", { class: "reasons", "aria-label": `How ${cert.credential_code} was worked out` },
        el("h4", {}, "How this was worked out"), el("ul", {}, c.reasons.map((r) => el("li", {}, r)))) : null);
    const gap = el("section", { class: "gap", "aria-label": `Courses that would close your ${cert.credential_code} gap` });
    article.append(gap);
    fillGap(gap, c);
    return article;
  }

  function summary(c) {
    if (["suspended", "revoked", "inactive"].includes(c.status)) return "The requirements are shown for reference.";
    if (Number(c.remaining_hours) > 0) {
      return [`You still need ${hours(c.remaining_hours)} of the ${hours(c.required_hours)}, by `, day(c.cycle_end), "."];
    }
    const open = c.categories.filter((r) => Number(r.remaining_hours) > 0).length
      + c.modality_minimums.filter((m) => Number(m.remaining_hours) > 0).length
      + c.other_requirements.filter((o) => !o.met).length;
    return open ? `All ${hours(c.required_hours)} earned; ${open} requirement${open > 1 ? "s" : ""} still open.` : "";
  }

  function bar(label, earned, required, note, cap) {
    const id = `req-${++seq}`;
    const done = Number(earned) >= Number(required);
    const left = Math.max(Number(required) - Number(earned), 0);
    const text = cap ? `${hours(earned)} of ${hours(required)} used${done ? " · cap reached" : ""}`
      : done ? `${hours(earned)} of ${hours(required)} · met` : `${hours(earned)} of ${hours(required)} · ${hours(left)} to go`;
    return el("li", { class: `req${done && !cap ? " done" : ""}` },
      el("div", { class: "req-head" }, el("label", { for: id }, upper(label)),
        el("span", { class: "req-value" }, done && !cap ? el("span", { "aria-hidden": "true" }, "✓ ") : null, text)),
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
            el("span", { class: "req-value" }, el("span", { "aria-hidden": "true" }, o.met ? "✓ " : "○ "), o.met ? "met" : "not yet recorded"))));
      }
    }
    for (const cap of c.caps) {
      const what = cap.modality ? `${MODALITY[cap.modality] || words(cap.modality)} hours` : `${words(cap.category)} hours`;
      const note = cap.reached ? `Cap reached: further ${what} do not count this cycle.` : `At most ${hours(cap.max_hours)} of ${what} count.`;
      const row = bar(`Cap on ${what}`, cap.used_hours, cap.max_hours, note, true);
      row.classList.add("cap");
      if (cap.reached) row.classList.add("reached");
      rows.push(row);
    }
    return el("section", { class: "reqs", "aria-label": "Requirements" }, el("h4", {}, "Requirements"), el("ul", { class: "req-list" }, rows));
  }

  async function fillGap(section, c) {
    if (["suspended", "revoked", "inactive"].includes(c.status)) { section.remove(); return; }
    const missing = c.categories.filter((r) => Number(r.remaining_hours) > 0);
    if (!missing.length && !(Number(c.remaining_hours) > 0)) { section.remove(); return; }
    section.append(el("h4", {}, "Courses that would close your gap"));
    const status = el("p", { class: "hint" }, "Looking for approved courses…");
    section.append(status);
    const seen = new Set(taken.filter((x) => x.course_id && ["accepted", "pending"].includes(x.status)
      && x.completed_on >= c.cycle_start && x.completed_on <= c.cycle_end).map((x) => x.course_id));
    const groups = missing.map((r) => [`${upper(r.label || words(r.category))}: ${hours(r.remaining_hours)} to go`, `&category=${encodeURIComponent(r.category)}`]);
    if (Number(c.remaining_hours) > 0) groups.push([`Any approved course: ${hours(c.remaining_hours)} to go in all`, ""]);
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
      el("span", { class: "hint" }, ` ${hours(credited)} · ${MODALITY[x.modality] || words(x.modality)} · ${x.provider.name}`),
      nextSessions(x));
  }

  // A suggested course's next sessions (catalog `next_sessions`): when, in the session's own time zone, how,
  // and where to register (or join).
  function nextSessions(x) {
    const upcoming = (x.next_sessions || []).slice(0, 2);
    if (!upcoming.length) return null;
    const HOW = { in_person: "in person", live_virtual: "live virtual", hybrid: "in person or online" };
    const when = (s) => new Date(s.starts_at).toLocaleString("en-US", {
      timeZone: s.timezone, weekday: "short", month: "short", day: "numeric", year: "numeric",
      hour: "numeric", minute: "2-digit", timeZoneName: "short" });
    return el("ul", { class: "sessions", "aria-label": `Next sessions of ${x.title}` }, upcoming.map((s) => {
      const link = s.registration_url || s.join_url;
      return el("li", { class: "session", "data-session-id": String(s.id) },
        el("span", {}, `Next: ${when(s)} · ${HOW[s.modality] || words(s.modality)}${s.location ? ` · ${s.location}` : ""}`),
        link ? [" · ", el("a", { href: link, rel: "noopener noreferrer" }, s.registration_url ? "Register" : "Join")] : null);
    }));
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
    showSignin(true);
    say("Your token was forgotten in this tab.");
    $("token").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    takeTokenFromFragment();
    $("token-form").addEventListener("submit", signIn);
    $("forget").addEventListener("click", forget);
    $("refresh").addEventListener("click", load);
    window.addEventListener("hashchange", () => { takeTokenFromFragment(); load(); });
    load();
  });
})();
