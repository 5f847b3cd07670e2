/* WaitWell — helpers shared by the staff app, the manager page and (times only) the lobby screen page.
 * Plain JS, no build step. */
(function () {
  "use strict";

  const LANG_KEY = "waitwell.lang";
  const STAFF_KEY = "waitwell.staff";

  /* ---- storage (private mode or a full disk must never break the page) ---- */
  function load(key) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw ? JSON.parse(raw) : null;
    } catch (e) {
      return null;
    }
  }
  function save(key, value) {
    try {
      if (value === null || value === undefined) window.localStorage.removeItem(key);
      else window.localStorage.setItem(key, JSON.stringify(value));
    } catch (e) { /* ignore */ }
  }

  /* ---- language: Chinese by default, English on request; remembered ---- */
  let lang = load(LANG_KEY) === "en" ? "en" : "zh";
  const langListeners = [];
  function getLang() { return lang; }
  function setLang(value) {
    lang = value === "en" ? "en" : "zh";
    save(LANG_KEY, lang);
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    langListeners.forEach((fn) => fn(lang));
  }
  function onLang(fn) { langListeners.push(fn); }

  /** Pick the string for the current language from {zh, en}; fills {name} placeholders. */
  function tr(entry, params) {
    let text = entry ? (entry[lang] || entry.zh || entry.en || "") : "";
    if (params) {
      Object.keys(params).forEach((k) => { text = text.split("{" + k + "}").join(String(params[k])); });
    }
    return text;
  }

  /** Fill every element with data-i18n="key" (and data-i18n-placeholder) from a dictionary. */
  function applyStrings(dict, root) {
    (root || document).querySelectorAll("[data-i18n]").forEach((el) => {
      const entry = dict[el.getAttribute("data-i18n")];
      if (entry) el.textContent = tr(entry);
    });
    (root || document).querySelectorAll("[data-i18n-placeholder]").forEach((el) => {
      const entry = dict[el.getAttribute("data-i18n-placeholder")];
      if (entry) el.setAttribute("placeholder", tr(entry));
    });
    (root || document).querySelectorAll("[data-i18n-title]").forEach((el) => {
      const entry = dict[el.getAttribute("data-i18n-title")];
      if (entry) { el.setAttribute("title", tr(entry)); el.setAttribute("aria-label", tr(entry)); }
    });
  }

  /** The server's messages are "中文句子 / English sentence": return the half for the language. */
  function pickMessage(message) {
    if (!message) return "";
    const at = message.indexOf(" / ");
    if (at < 0) return message;
    return lang === "en" ? message.slice(at + 3).trim() : message.slice(0, at).trim();
  }

  /* ---- hall time ----
   * The server's clock may not be the browser's (a replay, an event clock, a tablet set wrong):
   * never compare hall times with Date.now(). Keep the latest hall time we were told and the
   * browser moment we heard it; hall "now" is that time plus the browser time elapsed since. */
  function HallClock() {
    this.refHall = null;   // ms since epoch, hall time
    this.refLocal = null;  // Date.now() when refHall was learnt
  }
  HallClock.prototype.set = function (iso) {
    const t = Date.parse(iso);
    if (!isNaN(t)) { this.refHall = t; this.refLocal = Date.now(); }
  };
  /** Learn a hall time that is known to have passed (raised_at, acknowledged_at): never go back. */
  HallClock.prototype.observe = function (iso) {
    const t = Date.parse(iso);
    if (isNaN(t)) return;
    if (this.refHall === null || t > this.now()) { this.refHall = t; this.refLocal = Date.now(); }
  };
  HallClock.prototype.now = function () {
    if (this.refHall === null) return Date.now();
    return this.refHall + (Date.now() - this.refLocal);
  };

  /** A duration in words, never like a time of day ("14:58" beside "14:58 raised" misreads):
   * "15 分钟", "3 分 20 秒", "45 秒", "1 小时 5 分" / "15 min", "3 min 20 s", "45 s", "1 h 5 min".
   * Every page writes durations through this one rule. ``wholeMinutes`` drops the seconds past
   * the first minute ("21 分钟"), for lists where a width counts more than the last seconds. */
  function durationText(seconds, wholeMinutes) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return "–";
    const s = Math.max(0, Math.round(seconds));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = wholeMinutes && s >= 60 ? 0 : s % 60;
    const en = lang === "en";
    if (h > 0) return en ? h + " h" + (m ? " " + m + " min" : "") : h + " 小时" + (m ? " " + m + " 分" : "");
    if (m > 0) {
      if (!sec) return en ? m + " min" : m + " 分钟";
      return en ? m + " min " + sec + " s" : m + " 分 " + sec + " 秒";
    }
    return en ? sec + " s" : sec + " 秒";
  }

  /** Whole minutes, rounded: for expected waits ("约 12 分钟"). */
  function minutes(seconds) {
    if (seconds === null || seconds === undefined || isNaN(seconds)) return null;
    return Math.max(0, Math.round(seconds / 60));
  }

  /* ---- the hall's wall time (docs/protocol.md, "Times"): never the browser's zone ---- */

  const DAY_NAMES = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];  // Intl's en-US short weekdays
  const PART_OPTIONS = { hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
    hour: "numeric", minute: "numeric", second: "numeric", weekday: "short" };
  const formatters = new Map();
  /** An Intl formatter of wall-clock parts in IANA zone ``tz``; null if the browser does not know it. */
  function zoneFormatter(tz) {
    const key = tz || "";
    if (!formatters.has(key)) {
      let f = null;
      try {
        f = new Intl.DateTimeFormat("en-US", tz ? Object.assign({ timeZone: tz }, PART_OPTIONS) : PART_OPTIONS);
      } catch (e) {
        f = null;
      }
      formatters.set(key, f);
    }
    return formatters.get(key);
  }

  function pad2(n) { return (n < 10 ? "0" : "") + n; }

  /** Milliseconds since the epoch of an ISO time with an offset, or NaN (Python's fromisoformat rules). */
  function parseTime(iso) {
    if (typeof iso !== "string" || !/(Z|[+-]\d\d:?\d\d)$/i.test(iso)) return NaN;
    // Date.parse wants "T" and at most milliseconds; the server may send microseconds.
    return Date.parse(iso.replace(" ", "T").replace(/(\.\d{3})\d+/, "$1"));
  }

  /** The wall-clock parts of instant ``ms`` in IANA zone ``tz`` (the browser's zone only when the
   *  zone is unknown to it, as the pygame screen does). */
  function wallParts(ms, tz) {
    const f = zoneFormatter(tz) || zoneFormatter(null);
    const p = {};
    f.formatToParts(new Date(ms)).forEach((part) => { p[part.type] = part.value; });
    const y = +p.year, mo = +p.month, d = +p.day;
    return {
      y: y, mo: mo, d: d, h: +p.hour % 24, mi: +p.minute, s: +p.second + (ms % 1000 + 1000) % 1000 / 1000,
      wd: DAY_NAMES.indexOf(p.weekday),  // 0 = Monday, as Python's weekday()
      iso: y + "-" + pad2(mo) + "-" + pad2(d),
    };
  }

  /** "14:01" ("14:01:36" with ``seconds``) from a server time: the wall time in the hall's zone
   *  ``tz`` (IANA). If the browser does not know the zone, the ISO text's own offset, which the
   *  server writes in the hall's. The one formatter of times of day on every page. */
  function hallClockTime(iso, tz, seconds) {
    if (typeof iso !== "string" || iso.length < 16) return "–";
    const ms = parseTime(iso);
    if (tz && !isNaN(ms) && zoneFormatter(tz)) {
      const p = wallParts(ms, tz);
      return pad2(p.h) + ":" + pad2(p.mi) + (seconds ? ":" + pad2(Math.floor(p.s)) : "");
    }
    return iso.slice(11, seconds ? 19 : 16);
  }

  /* ---- staff credentials, remembered on the device ---- */
  function loadStaff() {
    const v = load(STAFF_KEY);
    return v && typeof v.token === "string" && v.token ? v : null;
  }
  function saveStaff(creds) { save(STAFF_KEY, creds); }

  /** Read ?token=&name= (provisioning links) and strip them from the address bar. */
  function takeQueryCredentials() {
    const url = new URL(window.location.href);
    const token = url.searchParams.get("token");
    const name = url.searchParams.get("name");
    if (token === null && name === null) return null;
    url.searchParams.delete("token");
    url.searchParams.delete("name");
    const rest = url.searchParams.toString();
    window.history.replaceState(null, "", url.pathname + (rest ? "?" + rest : "") + url.hash);
    return { token: token || "", name: (name || "").trim() };
  }

  /** GET JSON with the staff token; rejects with {status, body} on an HTTP error. */
  async function getJSON(path, token) {
    const response = await fetch(path, {
      headers: token ? { Authorization: "Bearer " + token } : {},
      cache: "no-store",
    });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    if (!response.ok) throw { status: response.status, body: body };
    return body;
  }

  async function postJSON(path, data) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(data),
      cache: "no-store",
    });
    let body = null;
    try { body = await response.json(); } catch (e) { body = null; }
    return { status: response.status, ok: response.ok, body: body };
  }

  function wsURL(path, token) {
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + path + "?token=" + encodeURIComponent(token);
  }

  /** Small element builder: el("div", {class: "x", text: "y"}, [children]). */
  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.keys(attrs || {}).forEach((k) => {
      const v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v === true ? "" : v);
    });
    (children || []).forEach((c) => { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return node;
  }

  // Alert kinds both pages show: urgency rank (lower first) and label. Unknown kinds rank last.
  const KINDS = {
    care_30: { rank: 0, label: { zh: "致歉探访", en: "Apology visit" } },
    care_15: { rank: 1, label: { zh: "关怀探访", en: "Care visit" } },
    care_soon: { rank: 2, label: { zh: "可能久等", en: "Likely long wait" } },
    open_windows: { rank: 3, label: { zh: "增开窗口", en: "Open more windows" } },
    staffing: { rank: 4, label: { zh: "人手安排", en: "Staffing" } },
  };
  const UNKNOWN_RANK = 9;
  function kindRank(kind) { return KINDS[kind] ? KINDS[kind].rank : UNKNOWN_RANK; }
  function kindLabel(kind) { return KINDS[kind] ? tr(KINDS[kind].label) : kind; }

  document.documentElement.lang = lang === "en" ? "en" : "zh-CN";

  window.WaitWell = {
    load, save, getLang, setLang, onLang, tr, applyStrings, pickMessage, HallClock,
    durationText, minutes, hallClockTime, wallParts, parseTime, pad2, loadStaff, saveStaff, takeQueryCredentials,
    getJSON, postJSON, wsURL, el, KINDS, kindRank, kindLabel,
  };
})();
