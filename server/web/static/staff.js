/* WaitWell staff tablet app: live care alerts, "I'm on it", sound, offline-safe. */
(function () {
  "use strict";
  const W = window.WaitWell;
  const B = window.WaitWellBoard;
  const $ = (id) => document.getElementById(id);

  const S = {
    title: { zh: "员工提醒", en: "Staff alerts" },
    signout: { zh: "退出", en: "Sign out" },
    mute: { zh: "静音 / 取消静音", en: "Mute / unmute" },
    offline: { zh: "离线：正在重新连接…", en: "Offline: reconnecting…" },
    offline_detail: { zh: "下面的提醒可能已过时，请勿据此行动。", en: "The alerts below may be out of date; do not act on them." },
    signin_title: { zh: "登录", en: "Sign in" },
    pin_label: { zh: "个人 PIN", en: "Personal PIN" },
    pin_placeholder: { zh: "输入 PIN", en: "Enter PIN" },
    signin: { zh: "登录", en: "Sign in" },
    or: { zh: "或使用员工令牌和名字", en: "or use the staff token and your name" },
    token_label: { zh: "员工令牌", en: "Staff token" },
    token_placeholder: { zh: "粘贴令牌", en: "Paste the token" },
    name_label: { zh: "你的名字", en: "Your name" },
    name_placeholder: { zh: "如：王芳", en: "e.g. Wang Fang" },
    empty: { zh: "暂无需要处理的提醒", en: "No alerts need you right now" },
    empty_sub: { zh: "新的提醒会响铃并振动。", en: "New alerts ring and vibrate." },
    status_live: { zh: "在线", en: "Live" },
    status_connecting: { zh: "连接中", en: "Connecting" },
    status_offline: { zh: "离线", en: "Offline" },
    summary: { zh: "{n} 条提醒 · {open} 条待接手", en: "Alerts: {n} · not taken: {open}" },
    token_changed: { zh: "令牌已更换或无效，请重新登录。", en: "The staff token has changed or is not valid: please sign in again." },
    wrong_pin: { zh: "PIN 不正确。", en: "That PIN is not right." },
    too_many: { zh: "错误次数过多，请稍后再试。", en: "Too many wrong PINs: try again in a minute." },
    need_name: { zh: "请填写你的名字，确认提醒时会显示。", en: "Please enter your name: it is shown when you take an alert." },
    net_error: { zh: "无法连接服务器，请检查网络。", en: "Cannot reach the server: check the network." },
    insecure: { zh: "连接未加密：PIN 和令牌不会以明文发送。请使用 https:// 地址（或由管理员在 hall.yaml 中设置 trusted_network）。",
                en: "This connection is not encrypted: the PIN and token are not sent in clear text. Use the https:// address (or the administrator sets trusted_network in hall.yaml)." },
    ack: { zh: "我来处理", en: "I'm on it" },
    ack_sending: { zh: "提交中…", en: "Sending…" },
    taken_by: { zh: "{name} 已接手", en: "{name} is on it" },
    taken_by_me: { zh: "你已接手", en: "You are on it" },
    already_taken: { zh: "已有同事接手：{msg}", en: "Someone already took it: {msg}" },
    ack_failed: { zh: "未能确认：{msg}", en: "Could not take it: {msg}" },
    ack_timeout: { zh: "未收到服务器确认，请重试。", en: "No answer from the server: try again." },
    waited: { zh: "已等候", en: "Waited" },
    raised_ago: { zh: "提醒已持续", en: "Raised for" },
    stale: { zh: "离线 · 可能已过时", en: "Offline · may be out of date" },
    signed_in_as: { zh: "登录为 {name}", en: "Signed in as {name}" },
    earlier_taken: { zh: "15 分钟关怀：{name} 已探访", en: "15-minute care visit: {name}" },
    earlier_none: { zh: "15 分钟关怀：尚无人探访", en: "15-minute care visit: nobody went yet" },
    more: { zh: "还有 {n} 条", en: "{n} more" },
    fewer: { zh: "收起", en: "Show fewer" },
    floor_label: { zh: "在岗人数", en: "On the floor" },
    floor_minus: { zh: "减少在岗人数", en: "Fewer people on the floor" },
    floor_plus: { zh: "增加在岗人数", en: "More people on the floor" },
    rounds_on: { zh: "轮次探访：{due} 位待探访，在岗 {staff} 人（可及时探访 {cap} 位）",
                 en: "Care rounds: {due} visits due, {staff} on the floor (in time: {cap})" },
    round: { zh: "探访轮次 · {n} 位", en: "Care round · {n}" },
    round_taken: { zh: "探访轮次 · {n} 位", en: "Care round · {n}" },
    round_todo: { zh: "依次探访，等候最久者先：问需求、告知等候、引导自助；标“致歉”的请当面致歉。",
                  en: "Visit each in turn, longest wait first: ask, tell the wait, suggest self-service; apologise where marked." },
    round_ack: { zh: "这一轮我来", en: "I'll take this round" },
    apology_tag: { zh: "致歉", en: "apology" },
    fold_title: { zh: "{n} 位客户可能等候超过 {min} 分钟", en: "{n} customers likely to wait over {min} min" },
    fold_todo: { zh: "在大厅巡一圈：告知等候时间，引导自助办理。", en: "A round of the lobby: tell the wait, guide to self-service." },
    fold_ack: { zh: "我去巡一圈", en: "I'll walk the lobby" },
  };

  // What to do, per kind; rank and label are shared with /manager in common.js.
  const KINDS = {
    care_30: {
      todo: { zh: "再次前往探访并当面致歉，告知大约还需等候多久。", en: "Visit again and apologise; tell them roughly how much longer it will be." },
    },
    care_15: {
      todo: { zh: "前往探访：询问需求、提供帮助、解释等候原因、引导自助办理。", en: "Visit: ask what they need, offer help, explain the wait, suggest self-service." },
    },
    open_windows: {
      todo: { zh: "{waiting} 人等候，仅开 {open} 个窗口：建议共开 {rec} 个（再开 {more} 个）。", en: "{waiting} waiting, {open} windows open: open {more} more ({rec} in all)." },
    },
    staffing: {
      todo: null,
    },
    care_soon: {
      todo: { zh: "可能等候超过 15 分钟：可提前关怀，告知等候时间、引导自助。", en: "May wait over 15 min: you may visit early, tell the wait, suggest self-service." },
    },
  };
  const ICON_SOUND = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path fill="currentColor" d="M3 9v6h4l5 5V4L7 9H3z"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12"/></svg>';
  const ICON_MUTED = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path fill="currentColor" d="M3 9v6h4l5 5V4L7 9H3z"/><path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M16 9l6 6M22 9l-6 6"/></svg>';
  const ACK_TIMEOUT_MS = 8000;
  const BACKOFF_MS = [500, 1000, 2000, 4000, 6000];
  const PING_MS = 15000;
  const SILENCE_MS = 40000;

  const state = {
    creds: null,              // {token, name}
    alerts: new Map(),        // id -> ALERT
    pendingAcks: new Map(),   // id -> timer
    services: {},             // id -> {name, name_en}
    hallName: null,
    clock: new W.HallClock(),
    timezone: null,           // the hall's IANA zone, from the snapshot: times read in it
    socket: null,
    online: false,
    attempt: 0,
    reconnectTimer: null,
    rung: new Set(),          // ring keys that already rang (see WaitWellBoard.newRings)
    firstSnapshot: true,
    expanded: false,          // the "N more" list is open
    floorStaff: W.load("waitwell.floor") || B.DEFAULTS.staff,
    board: null,              // the last WaitWellBoard.board() result
    muted: !!W.load("waitwell.muted"),
    beeps: 0,
    snapshots: 0,
  };

  /* -------------------------------- sign-in -------------------------------- */

  function showSignIn(messageKey) {
    disconnect();
    state.creds = null;
    state.alerts.clear();
    document.body.className = "signed-out";
    $("board").hidden = true;
    $("signin").hidden = false;
    $("offline-banner").hidden = true;
    const msg = $("signin-message");
    if (messageKey) {
      msg.textContent = W.tr(S[messageKey]);
      msg.setAttribute("data-key", messageKey);
      msg.hidden = false;
    } else {
      msg.hidden = true;
      msg.removeAttribute("data-key");
    }
    renderHeader();
  }

  function signIn(creds) {
    state.creds = { token: creds.token, name: creds.name };
    W.saveStaff(state.creds);
    document.body.className = "signed-in";
    $("signin").hidden = true;
    $("board").hidden = false;
    $("signin-message").hidden = true;
    state.firstSnapshot = true;
    renderHeader();
    render();
    connect();
  }

  function signOut() {
    W.saveStaff(null);
    showSignIn(null);
  }

  /* A PIN or token typed here must not cross the hall's Wi-Fi in clear text: over plain HTTP it
   * goes only to this device itself, or where the hall config says the network is trusted (the
   * server fills the meta tag from trusted_network). */
  function mayCarrySecrets() {
    if (window.location.protocol === "https:") return true;
    const host = window.location.hostname;
    if (host === "localhost" || host.endsWith(".localhost") || host === "[::1]" || /^127\./.test(host)) return true;
    const meta = document.querySelector('meta[name="waitwell-trusted-network"]');
    return !!meta && meta.getAttribute("content") === "true";
  }

  $("pin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    unlockAudio();
    const pin = $("pin").value.trim();
    if (!pin) return;
    if (!mayCarrySecrets()) {
      $("pin").value = "";
      return showSignIn("insecure");
    }
    let result;
    try {
      result = await W.postJSON("/api/staff/login", { pin: pin });
    } catch (e) {
      return showSignIn("net_error");
    }
    $("pin").value = "";
    if (result.ok && result.body && result.body.token) {
      signIn({ token: result.body.token, name: result.body.name });
    } else {
      showSignIn(result.status === 429 ? "too_many" : "wrong_pin");
    }
  });

  $("token-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    unlockAudio();
    const token = $("token").value.trim();
    const name = $("name").value.trim();
    if (!token) return;
    if (!name) return showSignIn("need_name");
    if (!mayCarrySecrets()) {
      $("token").value = "";
      return showSignIn("insecure");
    }
    try {
      await W.getJSON("/api/staff/hall", token);
    } catch (e) {
      return showSignIn(e && e.status === 401 ? "token_changed" : "net_error");
    }
    $("token").value = "";
    signIn({ token: token, name: name });
  });

  $("signout").addEventListener("click", signOut);

  /* -------------------------------- connection ----------------------------- */

  function connect() {
    if (!state.creds) return;
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    setStatus(state.attempt === 0 ? "connecting" : "offline");
    let socket;
    try {
      socket = new WebSocket(W.wsURL("/ws/staff", state.creds.token));
    } catch (e) {
      return scheduleReconnect();
    }
    state.socket = socket;
    watch(socket);
    socket.onmessage = (event) => {
      if (socket !== state.socket) return;
      socket.lastHeard = Date.now();
      let message;
      try { message = JSON.parse(event.data); } catch (e) { return; }
      handle(message);
    };
    socket.onclose = (event) => {
      if (socket !== state.socket) return;
      state.socket = null;
      if (event.code === 4401) {
        W.saveStaff(null);
        showSignIn("token_changed");
        return;
      }
      goOffline();
      // 4008: this tablet fell behind; the snapshot on reconnect brings it up to date at once.
      if (event.code === 4008) state.attempt = 0;
      scheduleReconnect();
    };
    socket.onerror = () => { /* onclose follows and handles it */ };
  }

  /* A half-open connection (Wi-Fi gone, no TCP reset) looks alive to the browser. We ping; once
   * the server has answered a ping on this socket, a long silence means the link is dead. */
  function watch(socket) {
    socket.lastHeard = Date.now();
    socket.answersPing = false;
    const timer = setInterval(() => {
      if (socket !== state.socket) return clearInterval(timer);
      if (socket.readyState !== WebSocket.OPEN) return;
      if (socket.answersPing && Date.now() - socket.lastHeard > SILENCE_MS) {
        clearInterval(timer);
        state.socket = null;
        try { socket.close(); } catch (e) { /* ignore */ }
        goOffline();
        scheduleReconnect();
        return;
      }
      try { socket.send(JSON.stringify({ type: "ping" })); } catch (e) { /* onclose handles it */ }
    }, PING_MS);
  }

  function disconnect() {
    clearTimeout(state.reconnectTimer);
    state.reconnectTimer = null;
    const socket = state.socket;
    state.socket = null;
    state.online = false;
    if (socket) { try { socket.close(1000); } catch (e) { /* ignore */ } }
  }

  function scheduleReconnect() {
    if (!state.creds || state.reconnectTimer) return;
    const base = BACKOFF_MS[Math.min(state.attempt, BACKOFF_MS.length - 1)];
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    state.attempt += 1;
    state.reconnectTimer = setTimeout(() => { state.reconnectTimer = null; connect(); }, delay);
  }

  function goOffline() {
    state.online = false;
    state.pendingAcks.forEach((timer) => clearTimeout(timer));
    state.pendingAcks.clear();
    setStatus("offline");
    $("offline-banner").hidden = false;
    document.body.classList.add("offline");
    render();
  }

  function goOnline() {
    state.online = true;
    state.attempt = 0;
    setStatus("live");
    $("offline-banner").hidden = true;
    document.body.classList.remove("offline");
  }

  window.addEventListener("offline", () => {
    // The network is gone: say so now rather than when TCP notices.
    if (state.socket) {
      const socket = state.socket;
      state.socket = null;
      try { socket.close(); } catch (e) { /* ignore */ }
      goOffline();
      scheduleReconnect();
    }
  });
  window.addEventListener("online", () => {
    if (state.creds && !state.socket) { state.attempt = 0; connect(); }
  });

  /* -------------------------------- messages ------------------------------- */

  function handle(message) {
    switch (message.type) {
      case "snapshot": {
        state.snapshots += 1;
        state.clock.set(message.at);
        if (message.timezone) state.timezone = message.timezone;
        state.alerts.clear();
        (message.alerts || []).forEach((a) => {
          state.alerts.set(a.id, a);
          state.clock.observe(a.raised_at);
        });
        goOnline();
        // What was already up when the tablet opened does not ring; what came while it was away does.
        render({ silent: state.firstSnapshot });
        state.firstSnapshot = false;
        loadHall();
        break;
      }
      case "alert.raised": {
        const a = message.alert;
        state.clock.observe(a.raised_at);
        state.alerts.set(a.id, a);
        if (a.service && !state.services[a.service]) loadHall();
        render();
        break;
      }
      case "alert.updated": {
        // The same hall-wide alert with its numbers as they are now: new content, no new ring.
        const a = message.alert;
        state.rung.add(a.id);  // an update is never a new ring (see WaitWellBoard.newRings)
        if (!a.resolved_at) state.alerts.set(a.id, a);
        render();
        break;
      }
      case "alert.acknowledged": {
        const a = message.alert;
        if (a.acknowledged_at) state.clock.observe(a.acknowledged_at);
        clearPending(a.id);
        if (!a.resolved_at) state.alerts.set(a.id, a);
        render();
        break;
      }
      case "alert.resolved": {
        const a = message.alert;
        if (a.resolved_at) state.clock.observe(a.resolved_at);
        clearPending(a.id);
        state.alerts.delete(a.id);
        render();
        break;
      }
      case "error": {
        if (message.id) clearPending(message.id);
        const text = message.message || message.code || "";
        toast(W.tr(message.code === "already_acknowledged" ? S.already_taken : S.ack_failed, { msg: text }));
        if (message.code === "unknown_alert" && message.id) state.alerts.delete(message.id);
        render();
        break;
      }
      case "pong":
        if (state.socket) state.socket.answersPing = true;
        break;
      default:
        break;  // later message types: nothing to do
    }
  }

  async function loadHall() {
    if (!state.creds) return;
    try {
      const info = await W.getJSON("/api/staff/hall", state.creds.token);
      state.hallName = info.hall || null;
      (info.services || []).forEach((s) => { state.services[s.id] = s; });
      renderHeader();
      render();
    } catch (e) {
      if (e && e.status === 401) { W.saveStaff(null); showSignIn("token_changed"); }
    }
  }

  /* -------------------------------- acknowledge ---------------------------- */

  /** Take every alert of a card (a round: all its customers) with one tap: one alert.ack each. */
  function acknowledge(ids) {
    if (!state.online || !state.socket) return;
    const todo = ids.filter((id) => !state.pendingAcks.has(id));
    if (!todo.length) return;
    unlockAudio();
    todo.forEach((id) => {
      state.socket.send(JSON.stringify({ type: "alert.ack", id: id, by: state.creds.name }));
      state.pendingAcks.set(id, setTimeout(() => {
        state.pendingAcks.delete(id);
        toast(W.tr(S.ack_timeout));
        render();
      }, ACK_TIMEOUT_MS));
    });
    render();
  }

  function clearPending(id) {
    const timer = state.pendingAcks.get(id);
    if (timer !== undefined) { clearTimeout(timer); state.pendingAcks.delete(id); }
  }

  $("alerts").addEventListener("click", (event) => {
    const button = event.target.closest("[data-action='ack']");
    if (!button) return;
    const item = button.closest("[data-ack-ids]");
    if (item) acknowledge(item.getAttribute("data-ack-ids").split(" ").filter(Boolean));
  });

  $("more").addEventListener("click", () => { state.expanded = !state.expanded; render(); });

  function setFloor(n) {
    state.floorStaff = Math.max(1, Math.min(50, n));
    W.save("waitwell.floor", state.floorStaff);
    render();
  }
  $("floor-minus").addEventListener("click", () => setFloor(state.floorStaff - 1));
  $("floor-plus").addEventListener("click", () => setFloor(state.floorStaff + 1));

  /* -------------------------------- sound ---------------------------------- */

  let audio = null;
  function unlockAudio() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    try {
      if (!audio) audio = new Ctx();
      if (audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }
  document.addEventListener("pointerdown", unlockAudio, { passive: true });

  function notify() {
    if (state.muted) return;
    state.beeps += 1;
    try { if (navigator.vibrate) navigator.vibrate([200, 100, 200]); } catch (e) { /* ignore */ }
    if (!audio) unlockAudio();
    if (!audio) return;
    try {
      const t0 = audio.currentTime + 0.02;
      [[880, 0], [1175, 0.22]].forEach(([freq, offset]) => {
        const osc = audio.createOscillator();
        const gain = audio.createGain();
        osc.type = "sine";
        osc.frequency.value = freq;
        gain.gain.setValueAtTime(0.0001, t0 + offset);
        gain.gain.exponentialRampToValueAtTime(0.35, t0 + offset + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t0 + offset + 0.2);
        osc.connect(gain).connect(audio.destination);
        osc.start(t0 + offset);
        osc.stop(t0 + offset + 0.22);
      });
    } catch (e) { /* no sound on this device: vibration and the list still work */ }
  }

  $("mute").addEventListener("click", () => {
    state.muted = !state.muted;
    W.save("waitwell.muted", state.muted);
    renderHeader();
  });

  $("lang").addEventListener("click", () => W.setLang(W.getLang() === "zh" ? "en" : "zh"));
  W.onLang(() => { W.applyStrings(S); renderHeader(); render(); const m = $("signin-message"); if (!m.hidden && m.dataset.key) m.textContent = W.tr(S[m.dataset.key]); });

  /* -------------------------------- rendering ------------------------------ */

  function setStatus(which) {
    const status = $("status");
    status.setAttribute("data-state", which);
    $("status-text").textContent = W.tr(S["status_" + which]);
  }

  function renderHeader() {
    const hall = state.hallName;
    $("hall-name").textContent = hall ? (W.getLang() === "en" ? hall.name_en : hall.name) : "";
    $("who").textContent = state.creds ? W.tr(S.signed_in_as, { name: state.creds.name }) : "";
    $("mute").innerHTML = state.muted ? ICON_MUTED : ICON_SOUND;
    $("mute").setAttribute("aria-pressed", state.muted ? "true" : "false");
    $("mute").classList.toggle("muted", state.muted);
    $("lang").textContent = W.getLang() === "zh" ? "EN" : "中文";
    const s = $("status");
    $("status-text").textContent = W.tr(S["status_" + s.getAttribute("data-state")]);
  }

  function serviceName(id) {
    if (!id) return "";
    const s = state.services[id];
    if (!s) return id;
    return W.getLang() === "en" ? s.name_en || s.name || id : s.name || id;
  }

  /** Seconds the customer has waited, in hall time, or null for hall-wide alerts. */
  function waitedSeconds(alert) {
    const now = state.clock.now();
    if (alert.waiting_since) return (now - Date.parse(alert.waiting_since)) / 1000;
    if (alert.ticket) return (alert.waited_s || 0) + (now - Date.parse(alert.raised_at)) / 1000;
    return null;
  }

  function raisedSeconds(alert) {
    return (state.clock.now() - Date.parse(alert.raised_at)) / 1000;
  }

  function todo(alert) {
    const k = KINDS[alert.kind];
    if (alert.kind === "open_windows") {
      const rec = alert.recommended_windows || alert.open_windows + 1;
      return W.tr(k.todo, { waiting: alert.waiting, open: alert.open_windows, rec: rec,
                            more: Math.max(rec - alert.open_windows, 1) });
    }
    if (k && k.todo) return W.tr(k.todo);
    return W.pickMessage(alert.message);
  }

  function alertElement(card) {
    const alert = card.alert;
    const k = KINDS[alert.kind];
    const offline = !state.online;
    const item = W.el("li", {
      class: "alert kind-" + (k ? alert.kind : "other") + (alert.acknowledged_by ? " taken" : "") + (offline ? " stale" : ""),
      "data-alert-id": alert.id,
      "data-alert-ids": card.ids.join(" "),
      "data-ack-ids": card.ackIds.join(" "),
      "data-alert-kind": alert.kind,
      "data-stale": offline ? "true" : null,
    });
    const label = W.kindLabel(alert.kind);
    const head = W.el("div", { class: "alert-head" }, [
      W.el("span", { class: "kind", text: label }),
      alert.ticket ? W.el("span", { class: "ticket", text: alert.ticket }) : null,
      alert.service ? W.el("span", { class: "service", text: serviceName(alert.service) }) : null,
    ]);
    item.appendChild(head);

    const waited = waitedSeconds(alert);
    const timer = W.el("div", { class: "wait" }, [
      W.el("span", { class: "wait-label", text: W.tr(waited !== null ? S.waited : S.raised_ago) }),
      W.el("span", { class: "wait-value", "data-live": waited !== null ? "wait" : "raised", "data-live-id": alert.id,
                     text: W.durationText(waited !== null ? waited : raisedSeconds(alert)) }),
    ]);
    item.appendChild(timer);
    item.appendChild(W.el("p", { class: "todo", text: todo(alert) }));
    const earlier = card.earlier;
    if (earlier) {
      item.appendChild(W.el("p", { class: "earlier", text: earlier.acknowledged_by
        ? W.tr(S.earlier_taken, { name: earlier.acknowledged_by })
        : W.tr(S.earlier_none) }));
    }
    if (offline) item.appendChild(W.el("div", { class: "stale-note", text: W.tr(S.stale) }));

    item.appendChild(footFor(card, S.ack, alert.acknowledged_by, alert.acknowledged_at));
    return item;
  }

  /** One button or "taken by" line for a card: the same for a single alert, a round and the fold. */
  function footFor(card, label, by, at) {
    const foot = W.el("div", { class: "alert-foot" });
    if (card.taken) {
      const mine = state.creds && by === state.creds.name;
      foot.appendChild(W.el("span", { class: "taken-by" + (mine ? " mine" : ""),
        text: (mine ? W.tr(S.taken_by_me) : W.tr(S.taken_by, { name: by })) +
              (at ? " · " + W.hallClockTime(at, state.timezone) : "") }));
    } else {
      const pending = card.ackIds.some((id) => state.pendingAcks.has(id));
      foot.appendChild(W.el("button", {
        type: "button", class: "ack", "data-action": "ack",
        disabled: !state.online || pending ? true : null,
        text: pending ? W.tr(S.ack_sending) : W.tr(label),
      }));
    }
    return foot;
  }

  function groupItem(card, classes, kind) {
    const offline = !state.online;
    return W.el("li", {
      class: "alert " + classes + (card.taken ? " taken" : "") + (offline ? " stale" : ""),
      "data-card": card.key,
      "data-alert-kind": kind,
      "data-alert-ids": card.ids.join(" "),
      "data-ack-ids": card.ackIds.join(" "),
      "data-stale": offline ? "true" : null,
    });
  }

  /** A care round: several customers, longest wait first, taken with one tap. */
  function roundElement(card, first) {
    const item = groupItem(card, "round kind-round" + (card.apology ? " apology" : ""), "round");
    item.setAttribute("data-round-size", String(card.visits.length));
    item.appendChild(W.el("div", { class: "alert-head" }, [
      W.el("span", { class: "kind", text: W.tr(card.taken ? S.round_taken : S.round, { n: card.visits.length }) }),
    ]));
    item.appendChild(W.el("ol", { class: "round-list" }, card.visits.map((v) => W.el("li", { "data-ticket": v.ticket || "" }, [
      W.el("span", { class: "ticket-sm", text: v.ticket || "" }),
      W.el("span", { class: "service", text: serviceName(v.service) }),
      W.el("span", { class: "wait-value", "data-live": "wait", "data-live-id": v.primary.id, "data-whole-minutes": "true",
                     text: W.durationText(waitedSeconds(v.primary), true) }),
      v.kind === "care_30" ? W.el("span", { class: "tag", text: W.tr(S.apology_tag) }) : null,
    ]))));
    // What a round asks is the same for every round: said once, on the first, so six fit a phone.
    if (!card.taken && first) item.appendChild(W.el("p", { class: "todo", text: W.tr(S.round_todo) }));
    if (!state.online) item.appendChild(W.el("div", { class: "stale-note", text: W.tr(S.stale) }));
    item.appendChild(footFor(card, S.round_ack, card.by, card.acknowledged_at));
    return item;
  }

  /** The threshold the forecasts are about, from the server's own sentence ("超过 15 分钟"). */
  function careFirstMinutes(alerts) {
    for (const a of alerts) {
      const m = /超过 (\d+) 分钟/.exec(a.message || "");
      if (m) return Number(m[1]);
    }
    return 15;
  }

  /** Many customers likely to wait long: one hall card, not one each. */
  function foldElement(card) {
    const item = groupItem(card, "fold kind-care_soon", "care_soon");
    item.setAttribute("data-fold-count", String(card.count));
    item.appendChild(W.el("div", { class: "alert-head" }, [
      W.el("span", { class: "kind", text: W.kindLabel("care_soon") }),
    ]));
    item.appendChild(W.el("div", { class: "fold-title",
      text: W.tr(S.fold_title, { n: card.count, min: careFirstMinutes(card.alerts) }) }));
    item.appendChild(W.el("p", { class: "fold-tickets", text: card.alerts.map((a) => a.ticket).filter(Boolean).join(" · ") }));
    item.appendChild(W.el("p", { class: "todo", text: W.tr(S.fold_todo) }));
    if (!state.online) item.appendChild(W.el("div", { class: "stale-note", text: W.tr(S.stale) }));
    item.appendChild(footFor(card, S.fold_ack, card.by, card.acknowledged_at));
    return item;
  }

  function cardElement(card, index, shown) {
    if (card.type === "round") return roundElement(card, shown.findIndex((c) => c.type === "round" && !c.taken) === index);
    if (card.type === "fold") return foldElement(card);
    return alertElement(card);
  }

  /** Draw the board from the rule's output; ring once for whatever it says is new. */
  function render(options) {
    const list = $("alerts");
    const result = B.board(state.creds ? Array.from(state.alerts.values()) : [], state.clock.now(),
                           { staff: state.floorStaff, expanded: state.expanded });
    state.board = result;
    if (B.newRings(result, state.rung) > 0 && !(options && options.silent) && state.online) notify();
    list.replaceChildren.apply(list, result.shown.map(cardElement));
    const alerts = Array.from(state.alerts.values());
    $("empty").hidden = alerts.length > 0 || !state.creds;
    const more = $("more");
    more.hidden = result.more === 0 && !state.expanded;
    more.textContent = state.expanded ? W.tr(S.fewer) : W.tr(S.more, { n: result.more });
    more.setAttribute("data-more", String(result.more));
    const rounds = $("rounds-note");
    rounds.hidden = !result.rounds;
    rounds.textContent = result.rounds ? W.tr(S.rounds_on, { due: result.due, staff: result.staff, cap: result.capacity }) : "";
    $("floor-count").textContent = String(result.staff);
    const open = alerts.filter((a) => !a.acknowledged_by).length;
    $("summary").textContent = alerts.length ? W.tr(S.summary, { n: alerts.length, open: open }) : "";
    document.title = (open ? "(" + open + ") " : "") + "WaitWell " + W.tr(S.title);
  }

  function tick() {
    document.querySelectorAll("#alerts [data-live-id]").forEach((value) => {
      const alert = state.alerts.get(value.getAttribute("data-live-id"));
      if (!alert) return;
      const s = value.getAttribute("data-live") === "wait" ? waitedSeconds(alert) : raisedSeconds(alert);
      value.textContent = W.durationText(s, value.hasAttribute("data-whole-minutes"));
    });
  }
  setInterval(tick, 1000);

  let toastTimer = null;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 5000);
  }

  /* -------------------------------- start ---------------------------------- */

  // For tests and field diagnostics (read-only view of the app's state).
  window.WaitWellStaff = {
    get beeps() { return state.beeps; },
    get online() { return state.online; },
    get snapshots() { return state.snapshots; },
    get board() { return state.board; },
    hallNow: () => new Date(state.clock.now()).toISOString(),
  };

  W.applyStrings(S);
  const fromLink = W.takeQueryCredentials();
  if (fromLink && fromLink.token && fromLink.name) {
    signIn(fromLink);
  } else if (fromLink && fromLink.token) {
    showSignIn("need_name");
    $("token").value = fromLink.token;
    $("name").focus();
  } else {
    const stored = W.loadStaff();
    if (stored && stored.name) signIn(stored);
    else showSignIn(mayCarrySecrets() ? null : "insecure");
  }
})();
