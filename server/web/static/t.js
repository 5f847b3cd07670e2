/* WaitWell — the ticket on the customer's phone (/t/<token>). Plain JS, no build step.
 * Live over server-sent events; when the stream keeps failing (a proxy that buffers, an old
 * browser) it polls /status instead. Sound and vibration when the turn is near and when called. */
(function () {
  "use strict";

  const LANG_KEY = "waitwell.phone.lang";
  const POLL_MS = 5000;
  const POLL_NEAR_MS = 2000;
  const base = location.pathname.replace(/\/+$/, "");

  const S = {
    your_ticket: { zh: "您的号码", en: "Your ticket" },
    enable_sound: { zh: "开启提示音和振动", en: "Turn on sound and vibration" },
    sound_on: { zh: "提示音已开启", en: "Sound is on" },
    loading: { zh: "正在读取…", en: "Loading…" },
    unknown: { zh: "正在等待取号信息", en: "Waiting for your ticket to reach us" },
    unknown_d: { zh: "刚取号时可能需要几秒钟。", en: "Just after you take a ticket this can take a few seconds." },
    waiting: { zh: "排队中", en: "You are in the queue" },
    waiting_d: { zh: "可以先离开大厅，轮到前会提醒您。", en: "You may leave the hall; this page tells you when your turn is near." },
    almost: { zh: "快到您了，请回到大厅", en: "Almost your turn: please come back to the hall" },
    almost_d: { zh: "前面还有 {n} 位。", en: "{n} ahead of you." },
    called: { zh: "请到 {w} 号窗口", en: "Your turn: window {w}" },
    called_d: { zh: "轮到您了，请前往 {w} 号窗口办理。", en: "It is your turn. Please go to window {w}." },
    served: { zh: "已办理", en: "Served" },
    served_d: { zh: "感谢您的耐心等候。", en: "Thank you for waiting." },
    missed: { zh: "已过号", en: "Missed" },
    missed_d: { zh: "您的号码已被叫过。请到服务台咨询。", en: "Your number was called. Please ask at the front desk." },
    cancelled: { zh: "已取消", en: "Cancelled" },
    cancelled_d: { zh: "此号码已取消。", en: "This ticket was cancelled." },
    expired: { zh: "此链接已过期", en: "This link has expired" },
    expired_d: { zh: "排队号只在取号当天有效。", en: "A ticket link is valid on the day the ticket was taken." },
    gone: { zh: "找不到此号码", en: "Ticket not found" },
    ahead: { zh: "前面人数", en: "people ahead" },
    wait: { zh: "预计等候（分钟）", en: "expected wait (min)" },
    live: { zh: "实时更新", en: "Live" },
    polling: { zh: "每隔几秒更新", en: "Updated every few seconds" },
    offline: { zh: "连接中断，正在重试…", en: "Connection lost, retrying…" },
    expires: { zh: "本页有效至 {t}", en: "Valid until {t}" },
    comeback: { zh: "现在等候较长。{when} 等候较少，可以那时再来。", en: "The wait is long now. It is usually shorter {when}: you could come back then." },
  };

  function stored() { try { return localStorage.getItem(LANG_KEY); } catch (e) { return null; } }
  function browserLang() {
    const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ""];
    return String(langs[0] || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  }
  let lang = stored() === "zh" || stored() === "en" ? stored() : browserLang();
  function tr(key, params) {
    let text = (S[key] && S[key][lang]) || "";
    Object.keys(params || {}).forEach((k) => { text = text.split("{" + k + "}").join(String(params[k])); });
    return text;
  }
  const $ = (id) => document.getElementById(id);

  let view = null;
  let ended = null; /* "expired" or "gone": the link answers no more */
  let mode = "loading";
  let lastState = null;
  let audio = null;

  function minutes(s) { return Math.max(0, Math.round(s / 60)); }
  function hhmm(iso) { return iso ? iso.slice(11, 16) : ""; }

  function render() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    $("lang").textContent = lang === "en" ? "中文" : "EN";
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = tr(el.getAttribute("data-i18n")); });
    if (audio) $("sound").textContent = tr("sound_on");
    const state = ended || (view ? view.state : "loading");
    document.body.dataset.state = state;
    if (view) {
      $("hall").textContent = lang === "en" ? view.hall.name_en : view.hall.name;
      $("ticket").textContent = view.ticket;
      $("service").textContent = (lang === "en" ? view.service_name_en : view.service_name) || "";
    }
    const p = { n: view && view.ahead != null ? view.ahead : "", w: view && view.window ? view.window : "" };
    $("headline").textContent = tr(state === "loading" ? "loading" : state, p);
    $("detail").textContent = state === "loading" ? "" : tr(state + "_d", p);
    $("ahead").textContent = view && view.ahead != null ? String(view.ahead) : "—";
    $("ahead-label").textContent = tr("ahead");
    const range = view && view.expected_wait_range_s;
    $("wait").textContent = range ? minutes(range[0]) + "–" + minutes(range[1]) : "—";
    $("wait-label").textContent = tr("wait");
    const back = view && view.come_back;
    $("comeback").hidden = !back || !(state === "waiting");
    if (back) $("comeback").textContent = tr("comeback", { when: lang === "en" ? back.en : back.zh });
    $("live").textContent = ended ? "" : tr(mode === "live" ? "live" : mode === "offline" ? "offline" : "polling");
    $("expires").textContent = view && view.expires_at && !ended ? tr("expires", { t: view.expires_at.slice(0, 10) + " " + view.expires_at.slice(11, 16) }) : "";
  }

  /* ---- sound and vibration: the phone may be in a pocket ---- */
  function enableSound() {
    try {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (Ctx && !audio) audio = new Ctx();
      if (audio && audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
    render();
  }
  function beep(times) {
    if (!audio) enableSound(); /* works where autoplay is allowed; elsewhere after the tap */
    if (!audio) return;
    for (let i = 0; i < times; i++) {
      const t = audio.currentTime + i * 0.35;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.4, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.28);
      osc.connect(gain).connect(audio.destination);
      osc.start(t);
      osc.stop(t + 0.3);
    }
  }
  function notify(state) {
    if (state === lastState) return;
    const before = lastState;
    lastState = state;
    if (before === null) return; /* the state the page opened in: the customer is looking at it */
    if (state === "almost" || state === "called") {
      beep(state === "called" ? 3 : 2);
      if (navigator.vibrate) navigator.vibrate(state === "called" ? [400, 150, 400, 150, 400] : [300, 150, 300]);
    }
  }

  function show(next) {
    view = next;
    notify(next.state);
    render();
  }
  function finish(kind) {
    ended = kind;
    stopAll();
    render();
  }

  /* ---- live: server-sent events, polling when they keep failing ---- */
  let source = null;
  let failures = 0;
  let opened = false;
  let pollTimer = null;
  function stopAll() {
    if (source) { source.close(); source = null; }
    if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
  }
  function live() {
    if (!window.EventSource) { poll(); return; }
    source = new EventSource(base + "/events");
    source.onopen = () => { failures = 0; opened = true; mode = "live"; render(); };
    source.onmessage = (e) => { try { show(JSON.parse(e.data)); } catch (err) { /* ignore a bad frame */ } };
    source.addEventListener("expired", () => finish("expired"));
    source.onerror = () => {
      failures += 1;
      /* never opened: no stream here (blocked, buffered); opened: give a dropped one three tries */
      if (!opened || failures >= 3 || source.readyState === EventSource.CLOSED) {
        source.close();
        source = null;
        poll(); /* tells 404/410 apart, and keeps the page alive without the stream */
      } else {
        mode = "offline";
        render();
      }
    };
  }
  async function fetchStatus() {
    const resp = await fetch(base + "/status", { cache: "no-store" });
    if (resp.status === 410) { finish("expired"); return false; }
    if (resp.status === 404) { finish("gone"); return false; }
    if (!resp.ok) throw new Error("HTTP " + resp.status);
    show(await resp.json());
    return true;
  }
  async function poll() {
    let again = true;
    try {
      again = await fetchStatus();
      mode = "polling";
    } catch (e) {
      mode = "offline";
    }
    render();
    if (!again) return;
    const near = view && (view.state === "almost" || view.state === "called");
    pollTimer = setTimeout(poll, near ? POLL_NEAR_MS : POLL_MS);
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh" : "en";
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
    render();
  });
  $("sound").addEventListener("click", enableSound);

  render();
  fetchStatus().then((ok) => { if (ok) live(); }, () => { mode = "offline"; render(); poll(); });
})();
