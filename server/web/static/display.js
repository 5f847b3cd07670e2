/* WaitWell lobby screen in a browser (/display). Plain JS, no build step, no network but this server.
 *
 * The rules are the pygame screen's (signage/). The content arrives checked by them (the server
 * reads content/signage/*.yaml with signage.content_files); what the page runs itself is ported
 * here in sections named "signage/MODULE.py: NAMES", in this order:
 *   signage/schedule.py          Schedule._day_ok, Schedule.active
 *   signage/playlist.py          Playlist.active, Playlist.slide_at
 *   signage/content.py           ScreenConfig
 *   signage/state.py             CARE_FIRST_MIN, parse_state, parse_message
 *   signage/calls.py             HOLD_S, MAX_LAG_S, MAX_ROWS, schedule, banner_at, next_change, state_banner
 *   signage/view.py              window_text, format_wait, LONG_SHARE, wait_level, hall_now, ticker_items,
 *                                nearby_text, build_view
 *   signage/feed.py              backoff_delays, Feed._went_offline, Feed.run, Feed._decode
 *   signage/content_files.py     ContentWatcher.poll
 *   signage/display/zones.py     Painter.header, Painter.calls, Painter.banner, Painter.waiting, Painter.promo,
 *                                Painter.qr, Painter.ticker
 *   signage/display/chime.py     Chime.play
 *   signage/display/app.py       Screen.receive_state, Screen.set_content, Screen.invalidate, Screen.build,
 *                                Screen.frame, Screen.next_change_in, DisplayApp.run
 * A Python name maps to a JS one by camelCase: format_wait is formatWait, Schedule.active is
 * scheduleActive, banner_at is bannerAt, Painter.header is the
 * header() of the Painter object, Screen.frame is frame(). A change to a rule belongs in both
 * places; tests/web/test_display_page.py checks this map and runs both on the same input.
 */
(function () {
  "use strict";

  /* ---- JS only: time (Python has datetime and zoneinfo) ---- */

  // Parsing server times and wall-clock parts in the hall's zone: common.js's, shared by every page.
  const parseTime = window.WaitWell.parseTime;
  const pad2 = window.WaitWell.pad2;
  function localParts(ms, tz) { return window.WaitWell.wallParts(ms, tz); }
  function isoDate(y, mo, d) { return y + "-" + pad2(mo) + "-" + pad2(d); }
  function hhmm(p) { return pad2(p.h) + ":" + pad2(p.mi); }

  /** The calendar day before ``p`` (the after-midnight part of an overnight schedule belongs to it). */
  function dayBefore(p) {
    const t = new Date(Date.UTC(p.y, p.mo - 1, p.d - 1));
    return { iso: isoDate(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()), wd: (t.getUTCDay() + 6) % 7 };
  }

  /* ---- signage/schedule.py: Schedule._day_ok, Schedule.active ---- */

  function scheduleDayOk(schedule, day) {
    if (schedule.weekdays && schedule.weekdays.indexOf(day.wd) < 0) return false;
    if (schedule.from && day.iso < schedule.from) return false;
    if (schedule.until && day.iso > schedule.until) return false;
    return true;
  }

  /** Whether ``schedule`` (hours as [start, end] minutes of the day) allows local time ``p``. */
  function scheduleActive(schedule, p) {
    if (!schedule.hours.length) return scheduleDayOk(schedule, p);
    const t = p.h * 60 + p.mi + p.s / 60;
    for (const [start, end] of schedule.hours) {
      if (start < end) {
        if (start <= t && t < end && scheduleDayOk(schedule, p)) return true;
      } else {  // overnight window
        if (t >= start && scheduleDayOk(schedule, p)) return true;
        if (t < end && scheduleDayOk(schedule, dayBefore(p))) return true;
      }
    }
    return false;
  }

  /* ---- signage/playlist.py: Playlist.active, Playlist.slide_at ---- */

  /** The slides that rotate at local time ``p``, ``exclude`` (a Set of slide ids) left out. */
  function playlistActive(slides, p, exclude) {
    const live = slides.filter((s) => !exclude.has(s.id) && scheduleActive(s.schedule, p));
    if (!live.length) return [];
    const top = Math.max.apply(null, live.map((s) => s.priority));
    return live.filter((s) => s.priority === top);
  }

  /** The slide playing at instant ``ms`` (local parts ``p``), anchored to the epoch so that every
   *  screen of a hall shows the same slide; null when none is active. */
  function playlistSlideAt(slides, ms, p, exclude) {
    const live = playlistActive(slides, p, exclude);
    if (!live.length) return null;
    const cycle = live.reduce((sum, s) => sum + s.duration_s, 0);
    let pos = (ms / 1000) % cycle;
    for (let i = 0; i < live.length; i++) {
      if (pos < live[i].duration_s) {
        return { slide: live[i], endsInMs: (live[i].duration_s - pos) * 1000, next: live[(i + 1) % live.length] };
      }
      pos -= live[i].duration_s;
    }
    // Float rounding at the very end of the cycle: wrap to the first slide.
    return { slide: live[0], endsInMs: live[0].duration_s * 1000, next: live[1 % live.length] };
  }

  /* ---- signage/content.py: ScreenConfig ---- */

  /** ScreenConfig()'s defaults and no slides: what the page shows until the server's content arrives. */
  const ScreenConfig = Object.freeze({
    banner_seconds: 8, chime: true, history: 6, ticker_page_seconds: 8,
    qr: [], tips: [], self_service: [], nearby: [], slides: [],
  });

  /* ---- signage/state.py: CARE_FIRST_MIN, parse_state, parse_message ---- */

  const CARE_FIRST_MIN = 15;  // a server from before display.state had care_first_min

  function bad(message) { const e = new Error(message); e.badState = true; return e; }
  function isObject(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }
  function optNumber(v, where) {
    if (v === null || v === undefined) return null;
    if (typeof v !== "number" || !isFinite(v)) throw bad(where + ": expected a number or null, got " + JSON.stringify(v));
    return v;
  }
  function count(v) { return Number.isInteger(v) ? v : 0; }

  /** Parse a display.state message; unknown extra fields are ignored. Throws on a malformed state. */
  function parseState(msg) {
    if (!isObject(msg.hall)) throw bad("state.hall: expected dict, got " + JSON.stringify(msg.hall));
    if (!Array.isArray(msg.calls)) throw bad("state.calls: expected list, got " + JSON.stringify(msg.calls));
    const calls = msg.calls.map((c, i) => {
      const where = "state.calls[" + i + "]";
      if (!isObject(c)) throw bad(where + ": expected an object");
      if (typeof c.ticket !== "string") throw bad(where + ".ticket: expected str, got " + JSON.stringify(c.ticket));
      if (typeof c.window !== "string" && !Number.isInteger(c.window)) {
        throw bad(where + ".window: expected str or int, got " + JSON.stringify(c.window));
      }
      const calledAt = parseTime(c.called_at);
      if (isNaN(calledAt)) throw bad(where + ".called_at: not an ISO time with offset: " + JSON.stringify(c.called_at));
      return { ticket: c.ticket, window: String(c.window), called_at: c.called_at, calledAtMs: calledAt,
        recall: c.recall === true, service: typeof c.service === "string" ? c.service : null };
    });
    if (!Array.isArray(msg.services)) throw bad("state.services: expected list, got " + JSON.stringify(msg.services));
    const services = msg.services.map((s, i) => {
      const where = "state.services[" + i + "]";
      if (!isObject(s)) throw bad(where + ": expected an object");
      let range = s.expected_wait_range_s;
      if (range !== null && range !== undefined) {
        if (!Array.isArray(range) || range.length !== 2) throw bad(where + ".expected_wait_range_s: expected [low, high] or null");
        const lo = optNumber(range[0], where + ".expected_wait_range_s");
        const hi = optNumber(range[1], where + ".expected_wait_range_s");
        range = lo === null || hi === null ? null : [Math.min(lo, hi), Math.max(lo, hi)];
      } else {
        range = null;
      }
      if (typeof s.id !== "string") throw bad(where + ".id: expected str, got " + JSON.stringify(s.id));
      if (!Number.isInteger(s.waiting)) throw bad(where + ".waiting: expected int, got " + JSON.stringify(s.waiting));
      return { id: s.id, name: String(s.name || s.id), name_en: String(s.name_en || ""), prefix: String(s.prefix || ""),
        waiting: s.waiting, expected_wait_s: optNumber(s.expected_wait_s, where + ".expected_wait_s"),
        expected_wait_range_s: range };
    });
    if (!Number.isInteger(msg.seq)) throw bad("state.seq: expected int, got " + JSON.stringify(msg.seq));
    const at = msg.at === null || msg.at === undefined ? null : parseTime(msg.at);
    if (at !== null && isNaN(at)) throw bad("state.at: not an ISO time with offset: " + JSON.stringify(msg.at));
    const hall = msg.hall;
    return {
      seq: msg.seq, at: at,
      hall: { name: String(hall.name || ""), name_en: String(hall.name_en || ""), timezone: String(hall.timezone || "UTC") },
      calls: calls, services: services,
      waiting_total: count(msg.waiting_total),
      open_windows: count(msg.open_windows),
      busy: isObject(msg.alerts) && msg.alerts.open_windows === true,
      care_first_min: typeof msg.care_first_min === "number" && msg.care_first_min > 0 ? msg.care_first_min : CARE_FIRST_MIN,
      quiet_hours: isObject(msg.quiet_hours) && typeof msg.quiet_hours.zh === "string" && typeof msg.quiet_hours.en === "string"
        ? [msg.quiet_hours.zh, msg.quiet_hours.en] : null,
      nearby: parseNearby(msg.nearby),
    };
  }

  /** Optional: not a list is no live list; an off-contract hall in it is left out (signage/state.py's _nearby). */
  function parseNearby(value) {
    if (!Array.isArray(value)) return null;
    return value.filter((n) => isObject(n) && typeof n.name === "string" && Number.isInteger(n.waiting)
        && typeof n.expected_wait_s === "number" && isFinite(n.expected_wait_s) && !isNaN(parseTime(n.as_of)))
      .map((n) => ({ name: n.name, name_en: String(n.name_en || n.name), distance: String(n.distance || ""),
        waiting: n.waiting, expected_wait_s: n.expected_wait_s,
        // The hall's wall time: as_of is written in the hall's offset.
        as_of: n.as_of.slice(11, 16) }));
  }

  /** The state in a decoded message, null for any other message type; throws on a malformed state. */
  function parseMessage(msg) {
    if (!isObject(msg) || msg.type !== "display.state") return null;
    return parseState(msg);
  }

  /* ---- signage/calls.py: HOLD_S, MAX_LAG_S, MAX_ROWS, schedule, banner_at, next_change, state_banner ---- */

  // The banner is a function of the server's call times and the hall's time only, so every
  // screen (pygame or page) shows the same banner at the same moment. The rule, in full, is
  // signage/calls.py's docstring: rows in call order, MAX_ROWS at once, each held holdS, and
  // none on the banner more than MAX_LAG_S after its call.
  const HOLD_S = 8;
  const MAX_LAG_S = 20;
  const MAX_ROWS = 4;

  function callKey(c) { return c.ticket + "\u0000" + c.window + "\u0000" + c.called_at; }

  /** The rows the calls (as on the wire, newest first) get, in order of start: {call, start, end} in ms. */
  function schedule(calls, holdS) {
    const hold = Math.min(Math.max(holdS, 0), MAX_LAG_S) * 1000;
    const latest = MAX_LAG_S * 1000 - hold;
    // Oldest first; Array.prototype.sort is stable, so calls made together keep the server's order.
    const ordered = calls.slice().reverse().sort((a, b) => a.calledAtMs - b.calledAtMs);
    const rows = [];
    for (const call of ordered) {
      let start = call.calledAtMs;
      if (rows.length >= MAX_ROWS) start = Math.max(start, rows[rows.length - MAX_ROWS].end);
      if (rows.length) start = Math.max(start, rows[rows.length - 1].start);
      if (start - call.calledAtMs > latest) continue;
      rows.push({ call: call, start: start, end: start + hold });
    }
    return rows;
  }

  /** The banner at hall time ``nowMs``: {rows, calls, pending, key}, or null when there is none. */
  function bannerAt(calls, nowMs, holdS) {
    const rows = schedule(calls, holdS);
    const shown = rows.filter((r) => r.start <= nowMs && nowMs < r.end);
    if (!shown.length) return null;
    return { rows: shown, calls: shown.map((r) => r.call), pending: rows.filter((r) => r.start > nowMs).length,
      key: shown.map((r) => callKey(r.call)) };
  }

  /** The next instant (ms) after ``nowMs`` at which the banner changes by itself, or null. */
  function nextChange(calls, nowMs, holdS) {
    let due = null;
    schedule(calls, holdS).forEach((r) => {
      [r.start, r.end].forEach((t) => { if (t > nowMs && (due === null || t < due)) due = t; });
    });
    return due;
  }

  /** The banner of ``state`` at hall time ``nowMs``: none while no window is open. */
  function stateBanner(state, nowMs, holdS) {
    if (state === null || state.at === null || nowMs === null || state.open_windows <= 0) return null;
    return bannerAt(state.calls, nowMs, holdS);
  }

  /* ---- signage/view.py: window_text, format_wait, LONG_SHARE, wait_level, hall_now, ticker_items, nearby_text, build_view ---- */

  const WEEKDAYS_ZH = "一二三四五六日";
  const WEEKDAYS_EN = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
  const MONTHS_EN = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  /** ["3号窗口", "Window 3"] for a window id. */
  function windowText(win) {
    return /^[0-9]+$/.test(win) ? [win + "号窗口", "Window " + win] : [win + " 窗口", "Window " + win];
  }

  function callLine(c) {
    const w = windowText(c.window);
    return { ticket: c.ticket, window: c.window, window_zh: w[0], window_en: w[1], recall: c.recall };
  }

  /** The expected wait as [zh, en], counted down by ``elapsedS``; null when no window serves it
   *  (that first: a closed service is never "no wait"). */
  function formatWait(waiting, expectedS, rangeS, elapsedS) {
    if (rangeS === null) {
      if (expectedS === null) return null;
      rangeS = [expectedS, expectedS];
    }
    if (waiting <= 0) return ["无需等待", "no wait"];
    const lo = Math.max(0, rangeS[0] - (elapsedS || 0)) / 60;
    const hi = Math.max(0, rangeS[1] - (elapsedS || 0)) / 60;
    const loM = Math.floor(lo + 0.5);
    const hiM = Math.max(loM, Math.floor(hi + 0.5));
    if (hiM <= 1) return ["即将叫号", "any moment"];
    if (loM >= 120) return ["超过 2 小时", "over 2 hours"];
    if (loM === hiM) return ["约 " + loM + " 分钟", "about " + loM + " min"];
    if (loM <= 0) return [hiM + " 分钟内", "within " + hiM + " min"];
    return ["约 " + loM + "–" + hiM + " 分钟", "about " + loM + "–" + hiM + " min"];
  }

  const LONG_SHARE = 2 / 3;  // "long" from two thirds of the care threshold

  /** The colour level of a wait: "none" (no window), "short", "long" (from LONG_SHARE of the care
   *  threshold) or "over" (from the threshold), of the expected wait counted down. */
  function waitLevel(waiting, expectedS, rangeS, elapsedS, careFirstMin) {
    if (expectedS === null && rangeS === null) return "none";
    if (waiting <= 0) return "short";
    const mid = expectedS !== null ? expectedS : (rangeS[0] + rangeS[1]) / 2;
    const leftMin = Math.max(0, mid - (elapsedS || 0)) / 60;
    if (leftMin >= careFirstMin) return "over";
    if (leftMin >= careFirstMin * LONG_SHARE) return "long";
    return "short";
  }

  /** The hall's zone as the server put it in the page: the clock is in hall time before the first
   *  state arrives (null when the page was not served by a hall: the device's zone). */
  const PAGE_TIMEZONE = (function () {
    const meta = typeof document !== "undefined" ? document.querySelector('meta[name="waitwell-timezone"]') : null;
    return meta && meta.content ? meta.content : null;
  })();

  /** The hall's time (ms since the epoch): the state's ``at`` advanced by local elapsed time;
   *  ``wallNowMs`` before the hall has a time. */
  function hallNow(state, elapsedMs, wallNowMs) {
    return state && state.at !== null ? state.at + elapsedMs : wallNowMs;
  }

  function dates(p) {
    return [p.y + "年" + p.mo + "月" + p.d + "日 星期" + WEEKDAYS_ZH[p.wd],
      WEEKDAYS_EN[p.wd] + " " + p.d + " " + MONTHS_EN[p.mo - 1] + " " + p.y];
  }

  /** The ticker pages: tips, or the busy-hall suggestions while busy; and the next quiet hours.
   *  While busy, live nearby halls (head office) replace the content's static ones; null leaves them. */
  function tickerItems(content, busy, quietHours, nearby) {
    const quiet = quietHours ? [[quietHours[0] + " 等候较少", "Shorter waits " + quietHours[1]]] : [];
    if (!busy) {
      const tips = content.tips.map((t) => [t.zh, t.en]);
      return (tips.length ? tips : [["欢迎光临", "Welcome"]]).concat(quiet);
    }
    const items = [["当前办理人数较多，请耐心等候，或使用以下方式快速办理", "We are very busy — these may be quicker for you:"]].concat(quiet);
    content.self_service.forEach((t) => items.push([t.zh, t.en]));
    if (nearby) return items.concat(nearby.map(nearbyText));
    content.nearby.forEach((b) => {
      let zh = "附近营业厅：" + b.name + "　" + b.address;
      let en = "Nearby: " + (b.name_en || b.name) + ", " + (b.address_en || b.address);
      if (b.distance) { zh += "（" + b.distance + "）"; en += " (" + b.distance + ")"; }
      if (b.phone) { zh += "　电话 " + b.phone; en += ", tel. " + b.phone; }
      items.push([zh, en]);
    });
    return items;
  }

  /** A live nearby hall's ticker page: name, distance, how many wait, the wait and as of when. */
  function nearbyText(n) {
    const wait = formatWait(n.waiting, n.expected_wait_s, null) || ["", ""];
    const whereZh = n.distance ? "（" + n.distance + "）" : "";
    const whereEn = n.distance ? " (" + n.distance + ")" : "";
    return ["附近营业厅：" + n.name + whereZh + "　" + n.waiting + " 人等候 · " + wait[0] + " · 截至 " + n.as_of,
      "Nearby: " + n.name_en + whereEn + ": " + n.waiting + " waiting · " + wait[1] + " · as of " + n.as_of];
  }

  /** Every zone's data at one instant, as view.build_view builds it.
   *  ``v.elapsedMs``: since ``state`` arrived; ``v.monoNowMs`` paces the ticker; ``v.wallNowMs``
   *  before any hall time; ``v.banner`` from stateBanner; ``v.slide`` from playlistSlideAt;
   *  ``v.offlineSinceMs`` while the feed is down. */
  function buildView(state, v) {
    const tz = state ? state.hall.timezone : PAGE_TIMEZONE;
    const p = localParts(hallNow(state, v.elapsedMs, v.wallNowMs), tz);
    const date = dates(p);
    const header = {
      name: state ? state.hall.name : "", name_en: state ? state.hall.name_en : "",
      date: date[0], date_en: date[1], time: hhmm(p),
      offline: v.offlineSinceMs === null ? null : "离线 / offline since " + hhmm(localParts(v.offlineSinceMs, tz)),
    };
    let calls = state ? state.calls : [];
    let placeholder = ["暂无叫号", "No calls yet"];
    if (!state) {
      placeholder = ["正在连接…", "Connecting…"];
    } else if (state.open_windows <= 0) {
      calls = [];  // closed (or not yet open): the last call is not "now calling" any more
      placeholder = ["暂无窗口", "No window open"];
    }
    const callsView = {
      current: calls.length ? callLine(calls[0]) : null,
      history: calls.slice(1, 1 + v.screen.history).map(callLine),
      placeholder: placeholder,
    };
    let bannerView = null;
    if (v.banner) {
      const lines = v.banner.calls.map(callLine), last = lines[lines.length - 1];
      let text = "请以下号码到对应窗口办理", textEn = "Tickets below, please go to your window";
      if (lines.length === 1) {
        text = "请 " + last.ticket + " 号到 " + last.window + (/^[0-9]+$/.test(last.window) ? " 号窗口办理" : " 窗口办理");
        textEn = "Ticket " + last.ticket + ", please go to window " + last.window;
      }
      bannerView = {
        rows: lines, ticket: last.ticket, window: last.window, text: text, text_en: textEn,
        recall: lines.some((l) => l.recall), pending: v.banner.pending,
      };
    }
    const waiting = { rows: [], total: "", total_en: "" };
    if (state) {
      state.services.forEach((s) => {
        const text = formatWait(s.waiting, s.expected_wait_s, s.expected_wait_range_s, v.elapsedMs / 1000);
        const t = text || ["暂无窗口", "no window open"];
        const level = waitLevel(s.waiting, s.expected_wait_s, s.expected_wait_range_s, v.elapsedMs / 1000, state.care_first_min);
        waiting.rows.push({ id: s.id, prefix: s.prefix, name: s.name, name_en: s.name_en, waiting: String(s.waiting),
          wait: t[0], wait_en: t[1], unknown: text === null, level: level });
      });
      waiting.total = "共 " + state.waiting_total + " 人等候 · " + state.open_windows + " 个窗口服务中";
      waiting.total_en = state.waiting_total + " waiting · " + state.open_windows + " windows open";
    }
    const promo = {
      slide: v.slide ? v.slide.slide : null, next: v.slide ? v.slide.next : null,
      fallback: [(state && state.hall.name) || "欢迎光临", (state && state.hall.name_en) || "Welcome"],
    };
    const busy = state ? state.busy : false;
    const items = tickerItems(v.screen, busy, state ? state.quiet_hours : null, state ? state.nearby : null);
    const page = Math.floor(v.monoNowMs / 1000 / v.screen.ticker_page_seconds) % items.length;
    const ticker = { text: items[page][0], text_en: items[page][1], busy: busy, page: page, pages: items.length };
    return { seq: state ? state.seq : null, header, calls: callsView, banner: bannerView, waiting, promo, ticker };
  }

  /* ---- signage/feed.py: backoff_delays, Feed._went_offline, Feed.run, Feed._decode ---- */

  const BACKOFF_INITIAL_MS = 500, BACKOFF_MAX_MS = 15000;  // Feed(initial_delay, max_delay)
  const OPEN_TIMEOUT_MS = 5000;                            // Feed(open_timeout)

  /** Exponential delays up to the maximum, each with jitter in [d/2, d]; ``rng`` like Math.random. */
  function backoffDelays(rng) {
    rng = rng || Math.random;
    let delay = BACKOFF_INITIAL_MS;
    return {
      next: function () {
        const out = delay * (0.5 + rng() / 2);
        delay = Math.min(BACKOFF_MAX_MS, delay * 2);
        return out;
      },
    };
  }

  function feedUrl() {
    const token = new URLSearchParams(location.search).get("token");
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + location.host + "/ws/display" + (token ? "?token=" + encodeURIComponent(token) : "");
  }

  let delays = backoffDelays();
  // Browsers cannot send WebSocket pings: an app-level ping finds a server that vanished
  // without closing. Two unanswered pings (30-45 s) close the socket and reconnect, as the
  // pygame screen's feed does after ~40 s of silence. ?ping_s=N changes the period; 0 turns
  // it off (tests that fast-forward a fake clock leave no time for answers).
  const PING_MS = pingPeriodMs(new URLSearchParams(location.search).get("ping_s"));
  const UNANSWERED_LIMIT = 2;

  function pingPeriodMs(param) {
    if (param === null) return 15000;
    const seconds = Number(param);
    return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : 15000;
  }

  /** Offline from the moment the feed was lost or the first attempt failed (wall time). */
  function wentOffline() {
    if (offlineSinceMs === null) offlineSinceMs = Date.now();
    document.body.dataset.feed = "offline";
    frame();
  }

  /** Connect, read states, reconnect with backoff forever. */
  function feedRun() {
    let ws;
    try { ws = new WebSocket(feedUrl()); } catch (e) { wentOffline(); setTimeout(feedRun, delays.next()); return; }
    let first = true, opened = false, unanswered = 0, pinger = null;
    const openTimer = setTimeout(() => { if (!opened) ws.close(); }, OPEN_TIMEOUT_MS);
    ws.onopen = () => {
      opened = true;
      clearTimeout(openTimer);
      delays = backoffDelays();
      if (PING_MS > 0) pinger = setInterval(() => {
        if (unanswered >= UNANSWERED_LIMIT) { ws.close(); return; }
        unanswered += 1;
        try { ws.send('{"type":"ping"}'); } catch (e) { /* closing already */ }
      }, PING_MS);
    };
    ws.onmessage = (event) => {
      unanswered = 0;
      const next = decode(event.data);
      if (next === null) return;
      if (first) {
        // Online once the full state is in hand: the badge stays until fresh data can show.
        offlineSinceMs = null;
        document.body.dataset.feed = "live";
        contentWatcherPoll();  // content may have changed while we were away
      }
      receiveState(next, first);
      first = false;
      pendingSeq = next.seq;
      frame();
    };
    ws.onclose = (event) => {
      clearTimeout(openTimer);
      clearInterval(pinger);
      if (event.code === 4401) console.error("display feed refused: missing or wrong display token (add ?token=… to the page address)");
      wentOffline();
      setTimeout(feedRun, delays.next());
    };
  }

  /** The state in a raw message; null (and a warning) for a bad one, null for other types. */
  function decode(raw) {
    try {
      return parseMessage(JSON.parse(raw));
    } catch (e) {
      console.warn("ignored a bad message: " + e.message);
      return null;
    }
  }

  /* ---- signage/content_files.py: ContentWatcher.poll ---- */

  // The pygame screen re-reads the files within 2 s; a browser asks the server, cheaply (ETag).
  const CONTENT_POLL_MS = 10000;
  const CONTENT_URL = "/api/display/content";
  let contentTimer = null;

  /** Fetch the content; on any error keep the previous content (the screen never goes dark). */
  async function contentWatcherPoll() {
    try {
      const response = await fetch(CONTENT_URL, { cache: "no-cache" });
      const text = await response.text();
      if (!response.ok) {
        let message = "HTTP " + response.status;
        try { message = JSON.parse(text).error.message; } catch (e) { /* not our JSON */ }
        throw new Error(message);
      }
      hook.contentError = null;
      if (text !== contentText) {
        contentText = text;
        setContent(Object.assign({}, ScreenConfig, JSON.parse(text)));
        frame();
      }
    } catch (e) {
      if (hook.contentError !== e.message) console.error("lobby content not loaded, keeping the previous version: " + e.message);
      hook.contentError = e.message;
    }
    clearTimeout(contentTimer);  // one poll timer, however many polls ran
    contentTimer = setTimeout(contentWatcherPoll, CONTENT_POLL_MS);
  }

  /* ---- signage/display/zones.py: Painter.header, Painter.calls, Painter.banner, Painter.waiting, Painter.promo, Painter.qr, Painter.ticker ---- */

  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** Shrink an element's font until its text fits its width (the pygame screen's TextRenderer.fit). */
  function fit(e) {
    e.style.fontSize = "";
    if (e.scrollWidth > e.clientWidth + 1 && e.clientWidth > 0) {
      const size = parseFloat(getComputedStyle(e).fontSize);
      e.style.fontSize = Math.floor(size * e.clientWidth / e.scrollWidth) + "px";
    }
  }

  let promoLoading = null;

  function textCard(title, titleEn, body, bodyEn, accent) {
    const card = el("div", "card");
    if (accent && window.CSS && CSS.supports("color", accent)) card.style.setProperty("--card-accent", accent);
    card.append(el("div", "title fit", title));
    if (titleEn) card.append(el("div", "title-en fit", titleEn));
    if (body) card.append(el("div", "text", body));
    if (bodyEn) card.append(el("div", "text-en", bodyEn));
    return card;
  }

  function showPromo(node) {
    const promo = $("promo");
    promo.replaceChildren(node);
    promo.querySelectorAll(".fit").forEach(fit);
  }

  /** Draw one zone from its view data (zones.Painter): the DOM instead of a surface. */
  const Painter = {
    header(v) {
      $("hall-name").textContent = v.name || "WaitWell";
      $("hall-name-en").textContent = v.name_en;
      $("date").textContent = v.date;
      $("date-en").textContent = v.date_en;
      $("time").textContent = v.time;
      const badge = $("offline");
      badge.hidden = !v.offline;
      badge.textContent = v.offline || "";
      fit($("hall-name"));
      fit($("hall-name-en"));
    },

    calls(v) {
      const current = $("current");
      current.replaceChildren();
      if (!v.current) {
        current.removeAttribute("data-ticket");
        current.append(el("div", "placeholder fit", v.placeholder[0]), el("div", "placeholder-en", v.placeholder[1]));
      } else {
        const c = v.current;
        current.dataset.ticket = c.ticket;
        const where = el("div", "where");
        where.append(el("div", "window fit", "→ " + c.window_zh), el("div", "window-en", c.window_en));
        current.append(el("div", "ticket fit", c.ticket), where);
        if (c.recall) current.append(el("div", "tag recall", "重呼 Recall"));
      }
      const list = $("history");
      list.replaceChildren();
      v.history.forEach((c) => {
        const li = el("li");
        li.dataset.ticket = c.ticket;
        li.append(el("b", "", c.ticket), el("span", "", c.window_zh));
        if (c.recall) li.append(el("i", "tag", "重呼"));
        list.append(li);
      });
      const cols = parseInt(getComputedStyle(list).getPropertyValue("--cols"), 10) || 2;
      list.style.setProperty("--rows", String(Math.max(1, Math.ceil(v.history.length / cols))));
      $("recent").hidden = !v.current || !v.history.length;
      current.querySelectorAll(".fit").forEach(fit);
    },

    banner(v) {
      const banner = $("banner");
      banner.hidden = !v;
      if (!v) { banner.removeAttribute("data-ticket"); banner.removeAttribute("data-tickets"); return; }
      banner.dataset.ticket = v.ticket;  // the newest row's
      banner.dataset.window = v.window;
      banner.dataset.tickets = v.rows.map((r) => r.ticket).join(" ");
      $("banner-text").textContent = v.text;
      $("banner-en").textContent = v.text_en;
      const several = v.rows.length > 1;
      banner.classList.toggle("several", several);
      $("banner-ticket").textContent = several ? "" : v.ticket;
      $("banner-window").textContent = several ? "" : "→ " + v.window;
      // Several calls at once: a row each, oldest on top (zones.Painter._banner_rows).
      const rows = $("banner-rows");
      rows.replaceChildren();
      rows.hidden = !several;
      rows.style.setProperty("--n", String(v.rows.length));
      if (several) v.rows.forEach((r) => {
        const row = el("div", "brow");
        row.dataset.ticket = r.ticket;
        const where = el("span", "bwhere");
        where.append(el("b", "", "→ " + r.window_zh), el("small", "", r.window_en));
        if (r.recall) where.append(el("i", "tag", "重呼 Recall"));
        row.append(el("span", "bticket", r.ticket), where);
        rows.append(row);
      });
      $("banner-recall").hidden = !(v.recall && !several);
      const pending = $("banner-pending");
      pending.hidden = !v.pending;
      pending.textContent = v.pending ? "稍后还有 " + v.pending + " 位  " + v.pending + " more next" : "";
      fit($("banner-text"));
      fit($("banner-en"));
    },

    waiting(v) {
      const rows = $("wait-rows");
      rows.replaceChildren();
      if (!v.rows.length) rows.append(el("li", "empty", "—"));
      v.rows.forEach((r) => {
        const li = el("li", (r.unknown ? "unknown " : "") + "level-" + r.level);
        li.dataset.service = r.id;
        const names = el("div");
        names.append(el("div", "name fit", r.name), el("div", "name-en fit", r.name_en));
        const count = el("div", "count", r.waiting);
        count.append(el("small", "", "人"));
        const wait = el("div", "wait-col");
        wait.append(el("div", "wait fit", r.wait), el("div", "wait-en fit", r.wait_en));
        li.append(el("div", "prefix", r.prefix || "·"), names, count, wait);
        rows.append(li);
      });
      $("total-zh").textContent = v.total;
      $("total-en").textContent = v.total_en;
      const unit = Math.min(innerWidth, innerHeight) / 1080;
      rows.style.setProperty("--s", String(Math.min(1, rows.clientHeight / (Math.max(1, v.rows.length) * 96 * unit))));
      rows.querySelectorAll(".fit").forEach(fit);
    },

    promo(v) {
      const promo = $("promo");
      promo.dataset.slide = v.slide ? v.slide.id : "";
      if (!v.slide) {
        showPromo(textCard(v.fallback[0], v.fallback[1], "祝您办理顺利", "Thank you for your patience", null));
        return;
      }
      const s = v.slide;
      if (s.kind !== "image") {
        showPromo(textCard(s.title, s.title_en, s.body, s.body_en, s.accent));
        return;
      }
      // The previous slide stays until the new picture is decoded: the panel never blinks empty.
      const img = new Image();
      promoLoading = img;
      img.alt = s.title || "";
      img.onload = () => { if (promoLoading === img) showPromo(img); };
      img.onerror = () => {
        if (promoLoading !== img) return;
        // A broken picture is skipped and the next slide drawn at once (pygame: same frame).
        console.warn("promo image skipped: " + s.image_url);
        badImages.add(s.id);
        delete drawn.promo;
        frame();
      };
      img.src = s.image_url;
      if (v.next && v.next.image_url && v.next !== s) new Image().src = v.next.image_url;  // load ahead
    },

    qr(codes) {
      const qr = $("qr");
      qr.replaceChildren();
      codes.slice(0, 2).forEach((code) => {
        const cell = el("div", "qr-cell");
        const box = el("div", "qr-code");
        box.innerHTML = code.svg;  // generated by the server (segno) from content it owns
        cell.append(box, el("div", "qr-caption fit", code.caption));
        if (code.caption_en) cell.append(el("div", "qr-caption-en fit", code.caption_en));
        qr.append(cell);
      });
      // Stack the codes when the panel is tall (zones.Painter.qr).
      const r = qr.getBoundingClientRect(), capH = 70 * Math.min(innerWidth, innerHeight) / 1080;
      const portrait = innerHeight > innerWidth;
      qr.classList.toggle("vertical", r.height > r.width * 1.3 || (!portrait && r.height >= 2 * (r.width * 0.6 + capH)));
      qr.querySelectorAll(".fit").forEach(fit);
    },

    ticker(v) {
      $("ticker").classList.toggle("busy", v.busy);
      $("ticker").dataset.page = String(v.page);
      const text = $("ticker-text");
      text.classList.remove("stacked");
      $("ticker-zh").textContent = v.text;
      $("ticker-en").textContent = v.text_en;
      $("ticker-zh").style.fontSize = "";
      $("ticker-en").style.fontSize = "";
      if (text.scrollWidth > text.clientWidth + 1) {
        text.classList.add("stacked");
        fit($("ticker-zh"));
        fit($("ticker-en"));
      }
      const dots = $("ticker-dots");
      dots.replaceChildren();
      if (v.pages > 1) for (let i = 0; i < v.pages; i++) dots.append(el("i", i === v.page ? "on" : ""));
    },
  };

  /* ---- signage/display/chime.py: Chime.play ---- */

  /** The two-tone chime of signage/display/chime.py (E5 then C5, bell-like decay), via Web Audio.
   *  Silent where the browser blocks autoplay; the context is closed so no audio thread idles. */
  const Chime = {
    play() {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      let ctx;
      try { ctx = new Ctx(); } catch (e) { return; }
      try {
        const wave = ctx.createPeriodicWave(new Float32Array([0, 0, 0, 0]), new Float32Array([0, 1, 0.35, 0.12]));
        let start = ctx.currentTime + 0.02;
        [[659.25, 0.55], [523.25, 0.9]].forEach(([freq, dur]) => {
          const osc = ctx.createOscillator(), gain = ctx.createGain();
          osc.setPeriodicWave(wave);
          osc.frequency.value = freq;
          gain.gain.setValueAtTime(0, start);
          gain.gain.linearRampToValueAtTime(0.25, start + 0.01);
          gain.gain.setTargetAtTime(0, start + 0.01, 1 / 3.2);
          osc.connect(gain).connect(ctx.destination);
          osc.start(start);
          osc.stop(start + dur);
          start += dur;
        });
      } catch (e) { /* no audio device: stay silent, like the pygame Chime */ }
      setTimeout(() => { ctx.close().catch(() => {}); }, 1700);
    }
  };

  /* ---- signage/display/app.py: Screen.receive_state, Screen.set_content, Screen.invalidate, Screen.build, Screen.frame, Screen.next_change_in, DisplayApp.run ---- */

  // The Python screen wakes at each deadline and at least once a second; so does the page
  // (the clock minute and the wait countdowns between exact deadlines).
  const TICK_MS = 1000;
  const hook = window.__waitwell = { lastShownCall: null, lastState: null, contentError: null };

  let content = ScreenConfig;
  let contentText = null;
  let contentVersion = 0;
  let state = null;
  let stateMono = 0;          // performance.now() when ``state`` arrived
  let offlineSinceMs = null;  // Date.now() when the feed was lost (wall time, as feed.py)
  const badImages = new Set();
  const drawn = {};           // zone -> the data it was last drawn with
  let shownKeys = [];         // the calls on the banner at the last frame
  let lastBanner = null;      // stateBanner() of the last build
  let slideEndsAt = null;     // performance.now() when the slide on screen ends
  let timer = null;
  let pendingSeq = null;
  // Spoken calls (display_voice.js), on the one screen per hall opened with ?voice=1 or ?voice=tts.
  const voice = window.WaitWellVoice && window.WaitWellVoice.enabled ? window.WaitWellVoice : null;

  function hallTz() { return state ? state.hall.timezone : PAGE_TIMEZONE; }

  /** Run ``draw(data)`` only when the zone's data (or the given key) changed since it was last drawn. */
  function zone(name, data, draw, key) {
    key = key === undefined ? JSON.stringify(data) : key;
    if (drawn[name] === key) return false;
    drawn[name] = key;  // kept on failure too: a zone that cannot draw this data is not retried every tick
    try {
      draw(data);
    } catch (e) {
      console.error("lobby screen: zone " + name + " failed to draw; it keeps its last picture", e);
    }
    return true;
  }


  /** Take a new display.state; ``resync`` (the first of a connection) needs nothing special:
   *  the banner follows the state's call times and the hall's time. */
  function receiveState(next, resync) {
    state = next;
    stateMono = performance.now();
    if (voice && state.at !== null) voice.hear(state.calls, hallNow(state, 0, Date.now()));
  }

  /** Use new content (at start, after an edit): everything is redrawn. */
  function setContent(next) {
    content = next;
    contentVersion += 1;
    badImages.clear();
    invalidate();
  }

  /** Force a full redraw at the next frame. */
  function invalidate() {
    Object.keys(drawn).forEach((k) => { delete drawn[k]; });
  }

  /** The view at monotonic time ``now`` (ms). */
  function build(now) {
    const wallNowMs = Date.now();
    const nowMs = hallNow(state, now - stateMono, wallNowMs);
    const banner = lastBanner = stateBanner(state, nowMs, content.banner_seconds);
    const slide = playlistSlideAt(content.slides, nowMs, localParts(nowMs, hallTz()), badImages);
    slideEndsAt = slide ? now + slide.endsInMs : null;
    return buildView(state, { elapsedMs: now - stateMono, monoNowMs: now, wallNowMs: wallNowMs, screen: content,
      banner: banner, slide: slide, offlineSinceMs: offlineSinceMs });
  }

  /** Draw what changed at this instant; schedule the next wake-up. */
  function frame() {
    const now = performance.now();
    const v = build(now);
    const changed = [
      zone("header", v.header, Painter.header),
      zone("ticker", v.ticker, Painter.ticker),
      zone("banner", v.banner, Painter.banner),
      zone("calls", v.calls, Painter.calls),
      zone("waiting", v.waiting, Painter.waiting),
      zone("promo", v.promo, Painter.promo),
      zone("qr", content.qr, Painter.qr, contentVersion),
    ].some(Boolean);
    // A call new on the banner chimes (a row leaving does not); the hook names the newest.
    const keys = lastBanner ? lastBanner.key : [];
    let newCall = null;
    if (lastBanner) lastBanner.calls.forEach((c, i) => { if (shownKeys.indexOf(keys[i]) < 0) newCall = c; });
    shownKeys = keys;
    const newBanner = newCall !== null;
    // A speaking screen rings each call's chime before its words (display_voice.js).
    if (newBanner && content.chime && !voice) Chime.play();
    const seqNow = state ? state.seq : null;
    const seq = pendingSeq;
    pendingSeq = null;
    if (newBanner || seq !== null) {
      // Benchmark hook: set in the frame that shows the change, after the DOM update.
      requestAnimationFrame(() => {
        const t = performance.now();
        if (newBanner) {
          hook.lastShownCall = { ticket: newCall.ticket, window: newCall.window, seq: seqNow,
            startedAt: now, shownAt: t, shownAtEpochMs: performance.timeOrigin + t };
        }
        if (seq !== null) hook.lastState = { seq: seq, shownAt: t, shownAtEpochMs: performance.timeOrigin + t, changed: changed };
      });
    }
    clearTimeout(timer);
    timer = setTimeout(frame, nextChangeIn(now));
  }

  /** Milliseconds until the screen changes without a new state: banner end, ticker page, slide
   *  cut, or the next tick (clock minute, wait countdowns). */
  function nextChangeIn(now) {
    const pageMs = content.ticker_page_seconds * 1000;
    const due = [TICK_MS, pageMs - now % pageMs];
    if (state !== null && state.at !== null && state.open_windows > 0) {
      const nowMs = hallNow(state, now - stateMono, Date.now());
      const change = nextChange(state.calls, nowMs, content.banner_seconds);
      if (change !== null) due.push(change - nowMs);
    }
    if (slideEndsAt !== null) due.push(slideEndsAt - now);
    return Math.max(0, Math.min(...due));
  }

  /** Run the screen: the frame loop, the content poll and the feed. */
  function displayAppRun() {
    if (voice) voice.attach(() => (state && state.at !== null ? hallNow(state, performance.now() - stateMono, Date.now()) : null),
      () => content.chime);
    frame();
    contentWatcherPoll();
    feedRun();
    // Text was fitted with a fallback font until the bundled one arrived: fit it again.
    if (document.fonts) document.fonts.addEventListener("loadingdone", () => { invalidate(); frame(); });
  }

  // The pure rules, for tests that compare them with the Python screen.
  window.WaitWellDisplay = { parseState, parseMessage, schedule, bannerAt, nextChange, stateBanner, backoffDelays,
    formatWait, waitLevel, windowText, tickerItems, nearbyText, hallNow, buildView, scheduleActive, playlistActive, playlistSlideAt,
    localParts, ScreenConfig, PAGE_TIMEZONE, Chime, HOLD_S, MAX_LAG_S, MAX_ROWS, CARE_FIRST_MIN, LONG_SHARE,
    BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, OPEN_TIMEOUT_MS };

  displayAppRun();
})();
