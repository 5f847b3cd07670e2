/* WaitWell manager page: read-only view of the hall and the day, refreshed every few seconds. */
(function () {
  "use strict";
  const W = window.WaitWell;
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg";
  const TOKEN_KEY = "waitwell.manager";
  const REFRESH_MS = 3000;

  const S = {
    title: { zh: "值班经理看板", en: "Duty manager" },
    offline: { zh: "离线：正在重新连接…", en: "Offline: reconnecting…" },
    offline_detail: { zh: "以下数据可能已过时。", en: "The figures below may be out of date." },
    signin_title: { zh: "打开看板", en: "Open the dashboard" },
    token_label: { zh: "员工令牌", en: "Staff token" },
    open: { zh: "打开", en: "Open" },
    token_changed: { zh: "令牌已更换或无效，请输入新的员工令牌。", en: "The staff token has changed or is not valid: enter the new one." },
    issued: { zh: "今日取号", en: "Issued today" },
    served: { zh: "已办结", en: "Served" },
    no_show: { zh: "过号未到", en: "No-shows" },
    cancelled: { zh: "已取消", en: "Cancelled" },
    called_now: { zh: "正在办理", en: "Being served" },
    count_sum: { zh: "今日取号 {issued} = 已办结 {served} + 过号未到 {no_show} + 已取消 {cancelled} + 正在办理 {called} + 正在等候 {waiting}；另有转办 {transferred} 次（转办不结束号码：转后按新业务继续等候，只计一次）",
                 en: "Issued today {issued} = served {served} + no-shows {no_show} + cancelled {cancelled} + being served {called} + waiting {waiting}; also {transferred} transfers (a transfer does not end a ticket: it waits again for the new service and is counted once)" },
    detail: { zh: "详情", en: "Detail" },
    waiting_now: { zh: "正在等候", en: "Waiting now" },
    open_windows: { zh: "开放窗口", en: "Open windows" },
    advised_windows: { zh: "建议窗口数", en: "Advised windows" },
    queues: { zh: "各业务排队", en: "Queue by service" },
    service: { zh: "业务", en: "Service" },
    waiting: { zh: "等候", en: "Waiting" },
    expected: { zh: "新取号预计等候", en: "Expected wait (new ticket)" },
    windows: { zh: "窗口", en: "Windows" },
    windows_title: { zh: "窗口", en: "Windows" },
    active_alerts: { zh: "当前提醒", en: "Active alerts" },
    no_active: { zh: "暂无提醒", en: "No active alerts" },
    by_hour: { zh: "分时段等候（按取号时间）", en: "Waits by hour (of issue)" },
    mean_wait: { zh: "平均等候", en: "Mean wait" },
    max_wait: { zh: "最长等候", en: "Longest wait" },
    care_line: { zh: "15 分钟关怀线", en: "15-minute care line" },
    care_today: { zh: "今日提醒与响应", en: "Today's alerts and response" },
    raised: { zh: "时间", en: "Raised" },
    kind: { zh: "类型", en: "Kind" },
    ticket: { zh: "号码", en: "Ticket" },
    taken_by: { zh: "接手人", en: "Taken by" },
    time_to_ack: { zh: "响应用时", en: "Time to take" },
    outcome: { zh: "状态", en: "Outcome" },
    no_care: { zh: "今日暂无提醒", en: "No alerts today" },
    status_live: { zh: "已更新 {t}", en: "Updated {t}" },
    status_connecting: { zh: "连接中", en: "Connecting" },
    status_offline: { zh: "离线", en: "Offline" },
    nobody: { zh: "无人接手", en: "Not taken" },
    active: { zh: "进行中", en: "Active" },
    resolved_at: { zh: "{t} 已解除", en: "Cleared {t}" },
    no_estimate: { zh: "无窗口", en: "no window" },
    about_min: { zh: "约 {m} 分钟", en: "~{m} min" },
    range_min: { zh: "{lo}–{hi} 分钟", en: "{lo}–{hi} min" },
    min_axis: { zh: "分钟", en: "min" },
    hour_label: { zh: "{h}时", en: "{h}:00" },
    over15: { zh: "超15分钟 {n} 人", en: "{n} over 15 min" },
    no_data: { zh: "今日尚无叫号数据", en: "No calls yet today" },
    waited: { zh: "已等 {d}", en: "waited {d}" },
    closed: { zh: "关闭", en: "closed" },
    idle: { zh: "空闲", en: "idle" },
    care_summary: { zh: "关怀提醒 {n} 条，已接手 {taken} 条，响应用时中位数 {median}", en: "{n} care alerts, {taken} taken, median time to take {median}" },
    waiting_people: { zh: "{n} 人等候 · 开 {o} 个 · 建议 {r} 个", en: "{n} waiting · {o} open · {r} advised" },
    windows_advice: { zh: "开 {o} 个 · 建议 {r} 个", en: "{o} open · {r} advised" },
  };

  const state = { token: null, hall: null, st: null, report: null, timer: null, lastAt: null, clock: new W.HallClock(),
                  socket: null, fetches: 0 };

  /* ---- auth ---- */
  function pickToken() {
    const q = W.takeQueryCredentials();
    if (q && q.token) { W.save(TOKEN_KEY, q.token); return q.token; }
    const saved = W.load(TOKEN_KEY);
    if (typeof saved === "string" && saved) return saved;
    const staff = W.loadStaff();
    return staff ? staff.token : null;
  }

  function showSignIn(messageKey) {
    clearTimeout(state.timer);
    state.token = null;
    if (state.socket) { try { state.socket.close(); } catch (e) { /* ignore */ } state.socket = null; }
    $("dashboard").hidden = true;
    $("signin").hidden = false;
    $("offline-banner").hidden = true;
    const m = $("signin-message");
    m.hidden = !messageKey;
    if (messageKey) { m.dataset.key = messageKey; m.textContent = W.tr(S[messageKey]); }
  }

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("token").value.trim();
    if (!token) return;
    $("token").value = "";
    W.save(TOKEN_KEY, token);
    start(token);
  });

  function start(token) {
    state.token = token;
    $("signin").hidden = true;
    $("dashboard").hidden = false;
    refresh();
    listen();
  }

  /* ---- live alerts: the staff feed says when the figures changed ----
   * Every figure on the page comes from one /api/report answer, so the KPIs and the alerts
   * beside them agree; an alert message only makes the page ask again at once. */
  function listen() {
    if (!state.token || state.socket) return;
    let socket;
    try { socket = new WebSocket(W.wsURL("/ws/staff", state.token)); } catch (e) { return; }
    state.socket = socket;
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      if (!message || typeof message.type !== "string" || message.type.indexOf("alert.") !== 0) return;
      if (message.type === "alert.updated" && state.report && message.alert) {
        // The same alert with its numbers as they are now: replace its content where it shows.
        // Its open count (and a staffing alert's advice) is the hall's of that moment: the KPIs too.
        const a = message.alert, rep = state.report, list = rep.alerts || [];
        const i = list.findIndex((x) => x.id === a.id);
        if (i >= 0) {
          list[i] = Object.assign({}, list[i], a);
          rep.open_windows = a.open_windows;
          if (a.kind === "staffing") rep.advised_windows = a.recommended_windows;
          render();
        }
      }
      clearTimeout(state.timer);
      state.timer = setTimeout(refresh, 100);
    };
    socket.onclose = () => {
      if (state.socket === socket) state.socket = null;
      if (state.token) setTimeout(listen, REFRESH_MS);
    };
  }

  /* ---- data ---- */
  async function refresh() {
    clearTimeout(state.timer);
    if (!state.token) return;
    const fetchNo = ++state.fetches;
    try {
      const [hall, st, report] = await Promise.all([
        W.getJSON("/api/staff/hall", state.token),
        W.getJSON("/api/state", state.token),
        W.getJSON("/api/report", state.token),
      ]);
      if (fetchNo !== state.fetches) return;  // a newer fetch is under way: its answer wins
      state.hall = hall; state.st = st; state.report = report;
      state.lastAt = report.at || st.at;
      if (state.lastAt) state.clock.set(state.lastAt);
      setOnline(true);
      render();
    } catch (e) {
      if (e && e.status === 401) {
        W.save(TOKEN_KEY, null);
        return showSignIn("token_changed");
      }
      if (fetchNo !== state.fetches) return;
      setOnline(false);
    }
    state.timer = setTimeout(refresh, REFRESH_MS);
  }

  function setOnline(online) {
    $("offline-banner").hidden = online;
    document.body.classList.toggle("offline", !online);
    const s = $("status");
    s.setAttribute("data-state", online ? "live" : "offline");
    renderStatus();
  }

  function renderStatus() {
    const which = $("status").getAttribute("data-state");
    $("status-text").textContent = W.tr(S["status_" + which], { t: W.hallClockTime(state.lastAt) + (state.lastAt ? state.lastAt.slice(16, 19) : "") });
  }

  /* ---- rendering ---- */
  function serviceName(id) {
    const s = state.hall && (state.hall.services || []).find((x) => x.id === id);
    if (!s) return id || "";
    return W.getLang() === "en" ? s.name_en || s.name : s.name;
  }

  function expected(service) {
    if (service.expected_wait_s === null || service.expected_wait_s === undefined) return W.tr(S.no_estimate);
    const r = service.expected_wait_range_s;
    if (r && r.length === 2) {
      const lo = W.minutes(r[0]), hi = W.minutes(r[1]);
      if (lo !== hi) return W.tr(S.range_min, { lo: lo, hi: hi });
    }
    return W.tr(S.about_min, { m: W.minutes(service.expected_wait_s) });
  }

  function render() {
    const hall = state.hall, st = state.st, rep = state.report;
    if (!hall || !st || !rep) return;
    $("hall-name").textContent = hall.hall ? (W.getLang() === "en" ? hall.hall.name_en : hall.hall.name) + (rep.date ? " · " + rep.date : "") : "";
    $("count-issued").textContent = rep.issued;
    $("count-served").textContent = rep.served;
    $("count-no_show").textContent = rep.no_show;
    $("count-cancelled").textContent = rep.cancelled;
    $("count-called").textContent = rep.called;
    $("count-waiting").textContent = rep.waiting_total;
    renderSum(rep);
    $("count-windows").textContent = rep.open_windows + " / " + st.windows.length;
    // The staffing advice (Erlang, with hysteresis); null until the first review of the day.
    $("count-advised").textContent = rep.advised_windows == null ? "–" : String(rep.advised_windows);
    $("count-advised").classList.toggle("warn", rep.advised_windows != null && rep.advised_windows > rep.open_windows);

    const rows = (hall.services || []).map((s) => W.el("tr", { "data-service": s.id }, [
      W.el("td", {}, [W.el("span", { class: "prefix", text: s.prefix || "" }), " " + serviceName(s.id)]),
      W.el("td", { class: "num strong", text: String(s.waiting) }),
      W.el("td", { class: "num", text: expected(s) }),
      W.el("td", { class: "num", text: String(s.open_windows) }),
    ]));
    const qb = $("queue-table").tBodies[0];
    qb.replaceChildren.apply(qb, rows);

    const wins = st.windows.slice().sort((a, b) => String(a.id).localeCompare(String(b.id), undefined, { numeric: true }))
      .map((w) => W.el("span", { class: "win " + (w.open ? "open" : "closed"), "data-window": w.id }, [
        W.el("b", { text: w.id }), " ", w.open ? (w.serving || W.tr(S.idle)) : W.tr(S.closed)]));
    $("windows").replaceChildren.apply($("windows"), wins);

    // The active alerts from the same answer as the KPIs: one moment, one set of numbers.
    renderActive((rep.alerts || []).filter((a) => !a.resolved_at));
    renderChart(rep.waits_by_hour || []);
    renderCare(rep.alerts || []);
    renderStatus();
  }

  /** Every ticket issued today is in exactly one state; transfers are moves, not ends (docs/staff-app.md). */
  function renderSum(rep) {
    const parts = ["served", "no_show", "cancelled", "called", "waiting"].map((k) => Number(rep[k]) || 0);
    const sum = parts.reduce((x, y) => x + y, 0);
    const box = $("count-sum");
    box.textContent = W.tr(S.count_sum, { issued: rep.issued, served: rep.served, no_show: rep.no_show,
      cancelled: rep.cancelled, called: rep.called, waiting: rep.waiting, transferred: rep.transferred || 0 });
    box.setAttribute("data-adds-up", String(sum === rep.issued));
  }

  /** What a hall-wide alert says in numbers; a care alert's ticket and service. */
  function alertDetail(a, waited) {
    if (a.ticket) {
      const parts = [serviceName(a.service)];
      if (waited !== null && waited !== undefined) parts.push(W.tr(S.waited, { d: W.durationText(waited) }));
      return parts.join(" · ");
    }
    const r = a.recommended_windows == null ? "–" : a.recommended_windows;
    return a.kind === "open_windows"
      ? W.tr(S.waiting_people, { n: a.waiting, o: a.open_windows, r: r })
      : W.tr(S.windows_advice, { o: a.open_windows, r: r });
  }

  function renderActive(alerts) {
    // A ticket with a care_30 shows once: its care_15 is folded into it.
    const apology = new Set(alerts.filter((a) => a.kind === "care_30").map((a) => a.ticket));
    const items = alerts.filter((a) => !(a.kind === "care_15" && apology.has(a.ticket))).slice().sort((a, b) => (W.kindRank(a.kind) - W.kindRank(b.kind)) || a.raised_at.localeCompare(b.raised_at))
      .map((a) => {
        const now = state.clock.now();
        const waited = a.waiting_since ? (now - Date.parse(a.waiting_since)) / 1000
          : a.ticket ? a.waited_s + (now - Date.parse(a.raised_at)) / 1000 : null;
        const detail = a.ticket ? a.ticket + " · " + alertDetail(a, waited) : alertDetail(a, null);
        return W.el("li", { class: "kind-" + a.kind, "data-alert-id": a.id, "data-alert-kind": a.kind,
                            "data-open": a.ticket ? null : a.open_windows,
                            "data-recommended": a.ticket ? null : a.recommended_windows }, [
          W.el("span", { class: "badge", text: W.kindLabel(a.kind) }),
          W.el("span", { class: "detail", text: detail }),
          W.el("span", { class: a.acknowledged_by ? "taker" : "taker none", text: a.acknowledged_by || W.tr(S.nobody) }),
        ]);
      });
    $("active-alerts").replaceChildren.apply($("active-alerts"), items);
    $("no-active").hidden = items.length > 0;
  }

  function svg(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach((k) => node.setAttribute(k, attrs[k]));
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function renderChart(hours) {
    const box = $("waits-chart");
    if (!hours.length) {
      box.replaceChildren(W.el("p", { class: "none", text: W.tr(S.no_data) }));
      return;
    }
    const first = Math.min.apply(null, hours.map((h) => h.hour));
    const last = Math.max.apply(null, hours.map((h) => h.hour));
    const byHour = {};
    hours.forEach((h) => { byHour[h.hour] = h; });
    const slots = [];
    for (let h = first; h <= last; h++) slots.push(byHour[h] || { hour: h, called: 0, mean_wait_s: 0, max_wait_s: 0, over_15_min: 0 });

    const W_ = 1000, H = 270, left = 44, right = 10, top = 30, bottom = 48;
    const maxMin = Math.max(20, Math.ceil(Math.max.apply(null, slots.map((h) => h.max_wait_s / 60)) / 10) * 10);
    const y = (m) => top + (H - top - bottom) * (1 - m / maxMin);
    const slotW = (W_ - left - right) / slots.length;
    const chart = svg("svg", { viewBox: "0 0 " + W_ + " " + H, role: "img", class: "bars",
                               "aria-label": W.tr(S.by_hour) });
    for (let m = 0; m <= maxMin; m += maxMin > 60 ? 20 : 10) {
      chart.appendChild(svg("line", { x1: left, x2: W_ - right, y1: y(m), y2: y(m), class: "grid" }));
      chart.appendChild(svg("text", { x: left - 6, y: y(m) + 4, class: "axis", "text-anchor": "end" }, String(m)));
    }
    chart.appendChild(svg("text", { x: left - 6, y: 12, class: "axis", "text-anchor": "end" }, W.tr(S.min_axis)));
    slots.forEach((h, i) => {
      const cx = left + slotW * i + slotW / 2;
      const bw = Math.min(46, slotW * 0.6);
      const mean = h.mean_wait_s / 60, max = h.max_wait_s / 60;
      const g = svg("g", { "data-hour": h.hour });
      const title = svg("title", {}, W.tr(S.hour_label, { h: h.hour }) + ": " + h.called + " · " +
        W.tr(S.mean_wait) + " " + W.durationText(h.mean_wait_s) + " · " + W.tr(S.max_wait) + " " +
        W.durationText(h.max_wait_s) + " · " + W.tr(S.over15, { n: h.over_15_min }));
      g.appendChild(title);
      g.appendChild(svg("rect", { x: cx - bw / 2, y: y(mean), width: bw, height: Math.max(0, y(0) - y(mean)),
                                   class: "bar" + (mean >= 15 ? " over" : ""), "data-hour": h.hour, rx: 3 }));
      if (h.called) {
        g.appendChild(svg("line", { x1: cx - bw / 2 - 4, x2: cx + bw / 2 + 4, y1: y(max), y2: y(max), class: "max" }));
        g.appendChild(svg("text", { x: cx, y: y(mean) - 5, class: "val", "text-anchor": "middle" }, String(Math.round(mean))));
      }
      g.appendChild(svg("text", { x: cx, y: H - bottom + 16, class: "axis", "text-anchor": "middle" }, W.tr(S.hour_label, { h: h.hour })));
      g.appendChild(svg("text", { x: cx, y: H - bottom + 32, class: "axis small" + (h.over_15_min ? " warn" : ""), "text-anchor": "middle" },
        h.over_15_min ? "⚑" + h.over_15_min : "n=" + h.called));
      chart.appendChild(g);
    });
    chart.appendChild(svg("line", { x1: left, x2: W_ - right, y1: y(15), y2: y(15), class: "care" }));
    box.replaceChildren(chart);
  }

  function renderCare(alerts) {
    const rows = alerts.slice().reverse().map((a) => W.el("tr", { "data-alert-id": a.id, "data-alert-kind": a.kind, class: "kind-" + a.kind }, [
      W.el("td", { text: W.hallClockTime(a.raised_at) }),
      W.el("td", {}, [W.el("span", { class: "badge", text: W.kindLabel(a.kind) })]),
      W.el("td", { class: "strong ticket", text: a.ticket || "–" }),
      W.el("td", { class: "detail", text: a.ticket ? alertDetail(a, a.waited_s) : alertDetail(a, null) }),
      W.el("td", { class: a.acknowledged_by ? "" : "muted", text: a.acknowledged_by || W.tr(S.nobody) }),
      W.el("td", { class: "num time-to-ack", text: a.time_to_ack_s === null || a.time_to_ack_s === undefined ? "–" : W.durationText(a.time_to_ack_s) }),
      W.el("td", { text: a.resolved_at ? W.tr(S.resolved_at, { t: W.hallClockTime(a.resolved_at) }) : W.tr(S.active) }),
    ]));
    const care = alerts.filter((a) => a.kind === "care_15" || a.kind === "care_30");
    const times = care.filter((a) => a.time_to_ack_s !== null && a.time_to_ack_s !== undefined)
      .map((a) => a.time_to_ack_s).sort((x, y) => x - y);
    const median = times.length ? W.durationText(times[Math.floor((times.length - 1) / 2)]) : "–";
    $("care-summary").textContent = W.tr(S.care_summary, { n: care.length, taken: care.filter((a) => a.acknowledged_by).length, median: median });
    const tb = $("care-table").tBodies[0];
    tb.replaceChildren.apply(tb, rows);
    $("no-care").hidden = rows.length > 0;
  }

  $("lang").addEventListener("click", () => W.setLang(W.getLang() === "zh" ? "en" : "zh"));
  W.onLang(() => {
    W.applyStrings(S);
    $("lang").textContent = W.getLang() === "zh" ? "EN" : "中文";
    const m = $("signin-message");
    if (!m.hidden && m.dataset.key) m.textContent = W.tr(S[m.dataset.key]);
    render();
    renderStatus();
  });

  W.applyStrings(S);
  $("lang").textContent = W.getLang() === "zh" ? "EN" : "中文";
  renderStatus();
  const token = pickToken();
  if (token) start(token);
  else showSignIn(null);
})();
