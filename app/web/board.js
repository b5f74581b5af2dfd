// The board dashboard: /v1/reports/* with a board's (or an admin's) token, drawn for people.
// The token comes from the form or the link's #token=... fragment, lives in sessionStorage only, is removed
// from the address bar at once and never goes into a query string. Each section loads on its own, says
// when it is loading, empty or failed (with a retry), and downloads its own CSV from the API.
"use strict";

(() => {
  const KEY = "peer-ce.board-token";
  const STATUS = {
    compliant: ["Compliant", "check", "ok"],
    in_progress: ["In progress", "clock", "info"],
    due_soon: ["Due soon", "alert", "warn"],
    overdue: ["Overdue", "alert", "bad"],
    lapsed: ["Lapsed", "cross", "bad"],
    suspended: ["Suspended", "pause", "hold"],
    revoked: ["Revoked", "stop", "hold"],
    inactive: ["Inactive", "dash", "hold"],
  };
  const ORDER = Object.keys(STATUS);
  const { $, el, say, day, icon: drawn } = window.PeerCE;
  const Charts = window.PeerCECharts;
  const data = {};
  let credentials = {};
  let due = { items: [], cursor: null };
  let signedOut = false;

  const token = () => sessionStorage.getItem(KEY);
  const number = (n) => Number(n).toLocaleString("en-US", { maximumFractionDigits: 2 });
  const hours = (n) => `${number(n)} ${Number(n) === 1 ? "hour" : "hours"}`;
  const words = (slug) => String(slug).replace(/[-_]+/g, " ");
  const upper = (text) => text.charAt(0).toUpperCase() + text.slice(1);
  const statusWord = (s) => (STATUS[s] || [words(s)])[0];

  function badge(status) {
    const [word, icon, tone] = STATUS[status] || [words(status), "dash", "info"];
    return el("span", { class: `badge small tone-${tone}`, "data-status": status }, drawn(icon), ` ${word}`);
  }

  function takeTokenFromFragment() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ""));
    const value = params.get("token");
    if (value) sessionStorage.setItem(KEY, value.trim());
    if (location.hash) history.replaceState(null, "", location.pathname);
  }

  // What the token says about its holder, for the heading only (the API decides what it may see).
  function claims() {
    try {
      const part = token().split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "=".repeat((4 - (part.length % 4)) % 4)));
    } catch {
      return {};
    }
  }

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
    const text = q.toString();
    return text ? `?${text}` : "";
  }

  async function api(path, accept = "application/json") {
    const headers = { Accept: accept };
    if (token()) headers.Authorization = `Bearer ${token()}`;
    const response = await fetch(path, { headers, cache: "no-store", credentials: "omit" });
    if (accept === "text/csv" && response.ok) return { ok: true, status: response.status, blob: await response.blob() };
    let body = null;
    try { body = await response.json(); } catch { body = null; }
    return { ok: response.ok, status: response.status, body };
  }

  function filters() {
    const f = new FormData($("filters"));
    const checked = document.querySelector("input[name=interval]:checked");
    return {
      credential_code: f.get("credential_code") || "", within_days: f.get("within_days") || "90",
      from: f.get("from") || "", to: f.get("to") || "", interval: checked ? checked.value : "month",
    };
  }

  const REPORTS = {
    compliance: { path: "/v1/reports/compliance", file: "compliance", params: (f) => ({ credential_code: f.credential_code }), render: renderCounts },
    trend: { path: "/v1/reports/compliance/trend", file: "compliance-trend", params: (f) => ({ credential_code: f.credential_code, interval: f.interval }), render: renderTrend },
    due: {
      path: "/v1/reports/due", file: "due", params: (f) => ({ credential_code: f.credential_code, within_days: f.within_days }),
      page: { limit: 25, count: "true" }, render: renderDue,
    },
    topics: { path: "/v1/reports/topics", file: "topics", params: (f) => ({ credential_code: f.credential_code, from: f.from, to: f.to }), render: renderTopics },
    providers: { path: "/v1/reports/providers", file: "providers", params: (f) => ({ credential_code: f.credential_code, from: f.from, to: f.to }), render: renderProviders },
  };
  const SECTION = { compliance: "counts", trend: "trend", due: "due", topics: "topics", providers: "providers" };

  function parts(key) {
    const section = $(SECTION[key]);
    return { section, line: section.querySelector(".state-line"), body: section.querySelector(".body") };
  }

  function sectionState(key, kind, content) {
    const { section, line, body } = parts(key);
    section.setAttribute("aria-busy", kind === "loading" ? "true" : "false");
    section.dataset.state = kind;
    line.className = `state-line ${kind === "error" ? "error" : "hint"}`;
    line.replaceChildren(...[].concat(content || []));
    line.hidden = !content;
    if (kind === "loading" || kind === "error" || kind === "empty") body.replaceChildren();
  }

  function problemText(answer) {
    const p = answer.body || {};
    return [el("strong", {}, `Something went wrong (${answer.status} ${p.title || "error"}). `),
      p.detail || "Please try again later.", p.request_id ? ` Reference: ${p.request_id}.` : ""];
  }

  function retry(key) {
    const button = el("button", { type: "button", class: "secondary small" }, "Try again");
    button.addEventListener("click", () => loadSection(key));
    return button;
  }

  async function loadSection(key, { more = false } = {}) {
    const report = REPORTS[key];
    const f = filters();
    const params = { ...report.params(f), ...(report.page || {}), ...(more && due.cursor ? { cursor: due.cursor } : {}) };
    if (!more) sectionState(key, "loading", "Loading…");
    let answer;
    try {
      answer = await api(report.path + query(params));
    } catch {
      sectionState(key, "error", [el("strong", {}, "We could not reach peer-ce. "),
        "Check your internet connection, then try again. Your token is kept in this tab. ", retry(key)]);
      return;
    }
    if (answer.status === 401 || answer.status === 403) { refused(answer); return; }
    if (!answer.ok) { sectionState(key, "error", [...problemText(answer), " ", retry(key)]); return; }
    data[key] = answer.body;
    report.render(answer.body, { more });
  }

  function refused(answer) {
    if (signedOut) return;
    signedOut = true;
    sessionStorage.removeItem(KEY);
    showSignin(true);
    const detail = answer.body && answer.body.detail ? ` The service said: ${answer.body.detail}` : "";
    const lead = answer.status === 401 ? "Your access token has expired or is not valid"
      : "This token is not a board's or an admin's, so it cannot open the dashboard";
    say([el("strong", {}, `${lead}.`), `${detail} Paste another token below.`], "error");
    $("token").focus();
  }

  function showSignin(show) {
    $("signin").hidden = !show;
    $("dashboard").hidden = show;
  }

  // A table in a scrolling region; with `stack`, each row becomes a card on a phone (cells keep their column name).
  function table(caption, head, rows, { numeric = [], cls = "", stack = false } = {}) {
    if (stack) {
      for (const row of rows) [...row.children].forEach((cell, i) => { if (!cell.dataset.label && head[i]) cell.dataset.label = head[i]; });
    }
    return el("div", { class: "table-wrap", role: "region", "aria-label": caption, tabindex: "0" },
      el("table", { class: [cls, stack ? "stack" : ""].join(" ").trim() || null },
        el("caption", { class: "vh" }, caption),
        el("thead", {}, el("tr", {}, head.map((h, i) => el("th", { scope: "col", class: numeric.includes(i) ? "num" : null }, h)))),
        el("tbody", {}, rows)));
  }

  function cells(values, numeric = [], labels = []) {
    return values.map((v, i) => el(i === 0 ? "th" : "td", { scope: i === 0 ? "row" : null, class: numeric.includes(i) ? "num" : null, "data-label": labels[i] || null }, v));
  }

  // --- certifications by status --------------------------------------------------------------------

  function renderCounts(body) {
    if (!body.items.length) {
      sectionState("compliance", "empty", "No certifications in your states yet: register them, and their statuses show here.");
      return;
    }
    sectionState("compliance", "data", ["Counts as of ", day(body.as_of, "long"), " (today in your board's time zone), from the statuses the daily sweep keeps current."]);
    const totals = {};
    for (const i of body.items) totals[i.status] = (totals[i.status] || 0) + i.count;
    const present = ORDER.filter((s) => totals[s]);
    const all = present.reduce((n, s) => n + totals[s], 0);
    const tiles = el("ul", { class: "tiles" }, present.map((s) => {
      const [word, icon, tone] = STATUS[s];
      return el("li", { class: `tile tone-${tone}`, "data-status": s },
        el("span", { class: "tile-count" }, number(totals[s])),
        el("span", { class: "tile-word" }, drawn(icon), ` ${word}`),
        el("span", { class: "hint" }, `${Math.round((totals[s] / all) * 100)}%`));
    }));
    const figure = el("figure", { class: "chart-box" });
    const codes = [...new Set(body.items.map((i) => i.credential_code))];
    const byCode = {};
    for (const i of body.items) (byCode[i.credential_code] ||= {})[i.status] = i.count;
    const rows = codes.map((code) => el("tr", {}, cells([
      credentials[code] ? `${code} · ${credentials[code].name}` : code,
      ...present.map((s) => number(byCode[code][s] || 0)),
      number(present.reduce((n, s) => n + (byCode[code][s] || 0), 0)),
    ], present.map((_, k) => k + 1).concat([present.length + 1]))));
    const body_ = parts("compliance").body;
    body_.replaceChildren(el("p", { class: "total-line" }, el("strong", {}, number(all)), ` certification${all === 1 ? "" : "s"} in all.`),
      tiles, figure,
      table("Certifications by credential and status", ["Credential", ...present.map(statusWord), "Total"], rows,
        { numeric: present.map((_, k) => k + 1).concat([present.length + 1]) }));
    draw(figure, () => Charts.bars(figure, present.map((s) => ({ label: STATUS[s][0], value: totals[s], tone: STATUS[s][2] })),
      { title: "Certifications by status", desc: present.map((s) => `${statusWord(s)}: ${totals[s]}`).join("; ") }));
  }

  // --- status over time ----------------------------------------------------------------------------

  function periodLabel(p, interval, style = "short") {
    const d = new Date(`${p}T00:00:00Z`);
    return interval === "month"
      ? d.toLocaleDateString("en-US", { timeZone: "UTC", month: style, year: "numeric" })
      : d.toLocaleDateString("en-US", { timeZone: "UTC", month: "short", day: "numeric" });
  }

  function renderTrend(body) {
    if (!body.items.length) {
      sectionState("trend", "empty", "No history yet: the daily sweep records the counts each day, so the trend starts with its first run.");
      return;
    }
    const interval = body.interval;
    sectionState("trend", "data", ["From ", day(body.from, "long"), " to ", day(body.to, "long"),
      interval === "month" ? ": each month's last recorded day." : ": one point per day the sweep ran."]);
    const periods = [...new Set(body.items.map((i) => i.period))].sort();
    const present = ORDER.filter((s) => body.items.some((i) => i.status === s));
    const value = {};
    for (const i of body.items) value[`${i.period}|${i.status}`] = i.count;
    const series = present.map((s) => ({ key: s, label: statusWord(s), values: periods.map((p) => value[`${p}|${s}`] || 0) }));
    const figure = el("figure", { class: "chart-box" });
    const rows = periods.map((p) => el("tr", {}, cells([periodLabel(p, interval, "long"), ...present.map((s) => number(value[`${p}|${s}`] || 0))],
      present.map((_, k) => k + 1))));
    parts("trend").body.replaceChildren(figure,
      el("details", {}, el("summary", {}, "Show the numbers"),
        table("Certifications by status over time", [interval === "month" ? "Month" : "Day", ...present.map(statusWord)], rows,
          { numeric: present.map((_, k) => k + 1) })));
    const last = periods[periods.length - 1];
    draw(figure, () => Charts.lines(figure, periods, series, {
      title: "Certifications by status over time",
      desc: `${periods.length} ${interval === "month" ? "months" : "days"}; latest (${periodLabel(last, interval, "long")}): `
        + series.map((s) => `${s.label} ${s.values[s.values.length - 1]}`).join(", "),
      formatPeriod: (p) => periodLabel(p, interval),
    }));
  }

  // --- the due list --------------------------------------------------------------------------------

  function renderDue(body, { more }) {
    due = { items: more ? due.items.concat(body.items) : body.items, cursor: body.next_cursor, total: more ? due.total : body.total };
    if (!due.items.length) {
      sectionState("due", "empty", `Nobody in your states has a deadline within ${body.within_days} days with requirements unmet.`);
      return;
    }
    sectionState("due", "data", [`Showing ${number(due.items.length)} of ${number(due.total ?? due.items.length)} certifications with a deadline within ${body.within_days} days and requirements unmet, soonest first (as of `, day(body.as_of, "long"), ")."]);
    const labels = ["Certification", "Credential", "Status", "Deadline", "Days left", "Still needed"];
    const rows = due.items.map((i) => el("tr", { "data-certification": i.certification_id }, cells([
      el("span", {}, el("strong", {}, `${i.person.given_name} ${i.person.family_name}`), el("span", { class: "block hint" }, `No. ${i.number}`)),
      i.credential_code, badge(i.status), day(i.deadline),
      i.days_left < 0 ? `${-i.days_left} days ago` : i.days_left === 0 ? "today" : number(i.days_left),
      i.unmet.length ? el("ul", { class: "needs" }, i.unmet.map((u) => el("li", {},
        u.remaining_hours === null ? `${upper(u.label)} (not yet recorded)` : `${upper(u.label)}: ${hours(u.remaining_hours)}`)))
        : "Nothing listed (re-evaluated at the next sweep)",
    ], [4], labels)));
    const parts_ = [table("Certifications due", labels, rows, { numeric: [4], cls: "due-table", stack: true })];
    if (due.cursor) {
      const button = el("button", { type: "button", class: "secondary", id: "due-more" }, "Show more");
      button.addEventListener("click", async () => {
        button.disabled = true;
        button.textContent = "Loading more…";
        await loadSection("due", { more: true });
        const next = parts("due").body.querySelectorAll("tbody tr")[due.items.length - body.items.length] || null;
        if (next) next.querySelector("th").focus();
      });
      parts_.push(el("div", { class: "actions" }, button));
    }
    parts("due").body.replaceChildren(...parts_);
    parts("due").body.querySelectorAll("tbody th").forEach((th) => th.setAttribute("tabindex", "-1"));
  }

  // --- CE demand by topic --------------------------------------------------------------------------

  function renderTopics(body) {
    const active = body.items.filter((t) => Number(t.completed_hours) || Number(t.unmet_hours) || Number(t.supply_hours));
    if (!active.length) {
      sectionState("topics", "empty", "No completions, needs or approved courses in your states for this period yet.");
      return;
    }
    sectionState("topics", "data", ["Completions from ", day(body.from, "long"), " to ", day(body.to, "long"),
      "; hours still needed and courses on offer as of ", day(body.as_of, "long"), "."]);
    const ranked = [...active].sort((a, b) => Number(b.unmet_hours) - Number(a.unmet_hours)
      || Number(b.completed_hours) - Number(a.completed_hours) || a.name.localeCompare(b.name));
    const figure = el("figure", { class: "chart-box" });
    const shown = ranked.slice(0, 10);
    const note = ranked.length > shown.length ? el("p", { class: "hint" }, `The chart shows the ${shown.length} topics with the most hours still needed; the table lists all ${ranked.length} with any activity.`) : null;
    const rows = ranked.map((t) => el("tr", {}, cells([t.name, number(t.completed_hours), number(t.completions), number(t.learners),
      number(t.unmet_hours), number(t.supply_hours), number(t.supply_courses)], [1, 2, 3, 4, 5, 6])));
    let cats = null;
    if (body.categories.length) {
      const catRows = body.categories.map((c) => el("tr", {}, cells([upper(c.label), c.credential_code, number(c.certifications),
        number(c.unmet_hours), c.topics.length ? c.topics.map(words).join(", ") : "No approved course yet"], [2, 3])));
      cats = el("div", {},
        el("h3", {}, "Still needed, by required category"),
        el("p", { class: "hint" }, "Each category's hours count under every topic that closes it, so the topic rows above can add up to more."),
        table("Hours still needed by category", ["Category", "Credential", "Certifications short", "Hours needed", "Topics that close it"],
          catRows, { numeric: [2, 3], stack: true }));
    }
    parts("topics").body.replaceChildren(figure, note,
      table("CE demand and supply by topic", ["Topic", "Hours completed", "Completions", "Learners", "Hours still needed", "Hours on offer", "Courses on offer"], rows,
        { numeric: [1, 2, 3, 4, 5, 6] }), cats);
    draw(figure, () => Charts.grouped(figure, shown.map((t) => ({ label: t.name, values: { completed: t.completed_hours, unmet: t.unmet_hours, supply: t.supply_hours } })),
      [{ key: "completed", label: "Completed", short: "done", fill: "solid" }, { key: "unmet", label: "Still needed", short: "needed", fill: "hatch" },
        { key: "supply", label: "On offer", short: "offered", fill: "dots" }],
      { title: "CE hours by topic: completed, still needed and on offer", unit: " h",
        desc: shown.map((t) => `${t.name}: ${number(t.completed_hours)} completed, ${number(t.unmet_hours)} still needed, ${number(t.supply_hours)} on offer`).join("; ") }));
  }

  // --- provider activity ---------------------------------------------------------------------------

  function renderProviders(body) {
    if (!body.items.length) {
      sectionState("providers", "empty", "No completions by your peers in this period yet.");
      return;
    }
    sectionState("providers", "data", ["Accepted completions from ", day(body.from, "long"), " to ", day(body.to, "long"),
      ", by the training center that delivered them. Open a provider's courses with its button."]);
    const rows = [];
    body.items.forEach((p, n) => {
      const ids = p.courses.map((_, k) => `provider-${n}-course-${k}`);
      const toggle = el("button", { type: "button", class: "secondary small", "aria-expanded": "false",
        "aria-controls": ids.join(" ") }, `${p.courses.length} course${p.courses.length === 1 ? "" : "s"}`,
      el("span", { class: "vh" }, ` of ${p.name}`));
      toggle.addEventListener("click", () => {
        const open = toggle.getAttribute("aria-expanded") !== "true";
        toggle.setAttribute("aria-expanded", String(open));
        for (const id of ids) document.getElementById(id).hidden = !open;
      });
      rows.push(el("tr", { class: "provider-row" }, cells([
        el("span", {}, el("span", { class: "provider-name" }, p.name), el("span", { class: "block hint" }, words(p.kind))),
        number(p.completions), number(p.learners), number(p.hours)], [1, 2, 3]), el("td", {}, toggle)));
      p.courses.forEach((c, k) => rows.push(el("tr", { class: "course-row", id: ids[k], hidden: true }, cells([
        el("span", {}, el("span", { "aria-hidden": "true" }, "↳ "), c.title), number(c.completions), number(c.learners),
        number(c.hours)], [1, 2, 3]), el("td", {}))));
    });
    parts("providers").body.replaceChildren(
      table("Completions by provider", ["Provider", "Completions", "Learners", "Hours", "Courses"], rows,
        { numeric: [1, 2, 3], stack: true }));
  }

  // --- charts follow the width of their box --------------------------------------------------------

  const drawings = new Map();
  function draw(figure, paint) {
    drawings.set(figure, paint);
    paint();
  }
  let resizeTimer = null;
  let lastWidth = window.innerWidth;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      if (window.innerWidth === lastWidth) return;
      lastWidth = window.innerWidth;
      for (const [figure, paint] of drawings) if (figure.isConnected) paint(); else drawings.delete(figure);
    }, 150);
  });

  // --- CSV downloads -------------------------------------------------------------------------------

  async function download(key, button) {
    const report = REPORTS[key];
    const params = { ...report.params(filters()), format: "csv" };
    button.disabled = true;
    try {
      const answer = await api(report.path + query(params), "text/csv");
      if (answer.status === 401 || answer.status === 403) { refused(answer); return; }
      if (!answer.ok) { say(problemText(answer), "error"); return; }
      const url = URL.createObjectURL(answer.blob);
      const link = el("a", { href: url, download: `${report.file}.csv`, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10000);
      say(`Downloaded ${report.file}.csv.`);
    } catch {
      say([el("strong", {}, "We could not reach peer-ce. "), "The CSV was not downloaded; try again."], "error");
    } finally {
      button.disabled = false;
    }
  }

  // --- sign in, filters, start ----------------------------------------------------------------------

  async function loadCredentials() {
    try {
      const answer = await api("/v1/credentials");
      if (!answer.ok) return;
      const mine = claims();
      const states = mine.role === "board" && Array.isArray(mine.states) ? mine.states : null;
      credentials = {};
      const select = $("credential");
      const chosen = select.value;
      select.replaceChildren(el("option", { value: "" }, "All credentials"));
      for (const c of answer.body.items) {
        credentials[c.code] = c.current.rules;
        if (states && !states.includes(c.state)) continue;
        select.append(el("option", { value: c.code, selected: c.code === chosen }, `${c.code} · ${c.current.rules.name}`));
      }
    } catch { /* the filter keeps "all credentials" */ }
  }

  function load() {
    if (!token()) { showSignin(true); return; }
    signedOut = false;
    say("");
    showSignin(false);
    const mine = claims();
    $("who").replaceChildren(mine.role === "board" && mine.states
      ? `Signed in as the board of ${mine.states.join(", ")}.`
      : mine.role === "admin" ? "Signed in as an administrator: every state." : "Signed in.");
    loadCredentials().then(() => { if (data.compliance) renderCounts(data.compliance); });
    for (const key of Object.keys(REPORTS)) loadSection(key);
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
    $("main").focus();
  }

  function forget() {
    sessionStorage.removeItem(KEY);
    for (const key of Object.keys(REPORTS)) parts(key).body.replaceChildren();
    showSignin(true);
    say("Your token was forgotten in this tab.");
    $("token").focus();
  }

  document.addEventListener("DOMContentLoaded", () => {
    takeTokenFromFragment();
    $("token-form").addEventListener("submit", signIn);
    $("forget").addEventListener("click", forget);
    $("refresh").addEventListener("click", load);
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      for (const key of Object.keys(REPORTS)) loadSection(key);
    });
    for (const radio of document.querySelectorAll("input[name=interval]")) radio.addEventListener("change", () => loadSection("trend"));
    for (const button of document.querySelectorAll("button.csv")) button.addEventListener("click", () => download(button.dataset.report, button));
    window.addEventListener("hashchange", () => { takeTokenFromFragment(); load(); });
    load();
  });
})();
