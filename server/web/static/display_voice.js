/* Spoken calls on the browser lobby screen: /display?voice=1 (the voice bank, rendered by the
 * server from content/voice with signage/voice/assemble.py) or /display?voice=tts (the
 * browser's own zh-CN and English voices saying the same words). One speaking screen per hall.
 *
 * Ported here from Python (the same map rule as display.js):
 *   signage/voice/speech.py      MAX_AGE_S, VoiceQueue.add, VoiceQueue.due, VoiceQueue.next_due
 *   signage/display/speaker.py   AFTER_CHIME_MS, Speaker.hear, Speaker.tick
 * The page's autoplay rule: a browser may refuse sound until someone touches the page; then a
 * banner asks for a tap (docs/lobby-screen.md, kiosks pass --autoplay-policy=no-user-gesture-required).
 */
(function () {
  "use strict";

  const params = new URLSearchParams(location.search);
  const MODE = params.get("voice") === "tts" ? "tts" : (params.get("voice") === "1" ? "clips" : null);
  const LANG = ["zh", "en", "both"].indexOf(params.get("voice_lang")) >= 0 ? params.get("voice_lang") : "both";

  /* ---- signage/voice/speech.py: MAX_AGE_S, VoiceQueue.add, VoiceQueue.due, VoiceQueue.next_due ---- */

  const MAX_AGE_S = 45.0;
  function callKey(c) { return c.ticket + "\u0000" + c.window + "\u0000" + c.called_at; }

  /** Calls waiting to be spoken, in the order made; times are hall times in ms (a call's is calledAtMs). */
  function VoiceQueue(lengthS, maxAgeS, afterS) {
    this.lengthS = lengthS;
    this.maxAgeMs = (maxAgeS === undefined ? MAX_AGE_S : maxAgeS) * 1000;
    this.afterMs = (afterS || 0) * 1000;
    this.seen = new Map();   // key -> called_at (ms)
    this.waiting = [];       // [call, seenMs]
    this.speaking = null;    // {call, start, end}
    this.spoken = [];
    this.dropped = [];
  }
  VoiceQueue.prototype.stale = function (call, nowMs) { return nowMs - call.calledAtMs > this.maxAgeMs; };
  /** Take the calls of a display.state (newest first, as on the wire) seen at ``nowMs``. */
  VoiceQueue.prototype.add = function (calls, nowMs) {
    for (const [k, t] of this.seen) if (nowMs - t > this.maxAgeMs) this.seen.delete(k);
    for (let i = calls.length - 1; i >= 0; i--) {
      const c = calls[i], k = callKey(c);
      if (this.seen.has(k) || this.stale(c, nowMs)) continue;
      this.seen.set(k, c.calledAtMs);
      this.waiting.push([c, nowMs]);
    }
    // Array.prototype.sort is stable: calls made at the same instant keep the server's order.
    this.waiting.sort((a, b) => a[0].calledAtMs - b[0].calledAtMs);
  };
  /** The call to start at ``nowMs`` ({call, start, end}), or null. */
  VoiceQueue.prototype.due = function (nowMs) {
    if (this.speaking !== null) {
      if (nowMs < this.speaking.end) return null;
      this.speaking = null;
    }
    while (this.waiting.length) {
      const [call, seen] = this.waiting[0];
      if (this.stale(call, nowMs)) { this.waiting.shift(); this.dropped.push(call); continue; }
      if (nowMs < seen + this.afterMs) return null;
      this.waiting.shift();
      const u = { call: call, start: nowMs, end: nowMs + this.lengthS(call) * 1000 };
      this.speaking = u;
      this.spoken.push(u);
      if (this.spoken.length > 200) this.spoken.shift();
      if (this.dropped.length > 200) this.dropped.shift();
      return u;
    }
    return null;
  };
  /** When due() may next return a call without new calls added (ms), or null. */
  VoiceQueue.prototype.nextDue = function (nowMs) {
    if (!this.waiting.length) return this.speaking === null ? null : this.speaking.end;
    let ready = this.waiting[0][1] + this.afterMs;
    if (this.speaking !== null) ready = Math.max(ready, this.speaking.end);
    return Math.max(ready, nowMs);
  };

  /* ---- signage/display/speaker.py: AFTER_CHIME_MS, Speaker.hear, Speaker.tick ---- */

  const AFTER_CHIME_MS = 300;
  const CHIME_MS = 1450;  // signage/display/chime.py: 0.55 s + 0.9 s
  // The page fetches a call's audio when it hears the call; speaking waits this long for it
  // (the pygame screen has its bank in memory and needs no wait).
  const FETCH_WAIT_S = 0.5;

  let ctx = null;
  let playhead = 0;          // AudioContext time at which the last scheduled call ends
  const audio = new Map();   // call key -> {buffer, duration} once fetched, or a promise
  const status = { mode: MODE, lang: LANG, spoken: [], said: [], fetched: 0, blocked: false, errors: [] };

  function lengthS(call) {
    const a = audio.get(callKey(call));
    const words = a && a.duration !== undefined ? a.duration : 10;  // unfetched: a zh + en call's typical length
    return (CHIME_MS + AFTER_CHIME_MS) / 1000 + words;
  }
  const queue = new VoiceQueue(lengthS, MAX_AGE_S, FETCH_WAIT_S);

  function query(call) {
    return "ticket=" + encodeURIComponent(call.ticket) + "&window=" + encodeURIComponent(call.window)
      + "&recall=" + (call.recall ? "1" : "0") + "&lang=" + LANG;
  }

  function fetchCall(call) {
    const key = callKey(call);
    if (audio.has(key)) return;
    const entry = {};
    audio.set(key, entry);
    const url = MODE === "tts" ? "/content/voice/call.json?" + query(call) : "/content/voice/call.wav?" + query(call);
    fetch(url).then((r) => {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return MODE === "tts" ? r.json() : r.arrayBuffer();
    }).then((body) => {
      if (MODE === "tts") {
        entry.text = body.text;
        entry.duration = Object.values(body.text).reduce((s, t) => s + t.length * 0.12, 0);  // a rough speaking rate
        return null;
      }
      return audioContext().decodeAudioData(body).then((buffer) => { entry.buffer = buffer; entry.duration = buffer.duration; });
    }).then(() => { status.fetched += 1; }).catch((e) => { status.errors.push(String(e)); console.error("lobby voice:", e); });
    // The audio of calls long gone is not kept (a screen runs for weeks).
    if (audio.size > 100) audio.delete(audio.keys().next().value);
  }

  function audioContext() {
    if (ctx === null) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      ctx = new Ctx();
    }
    return ctx;
  }

  function hear(calls, nowMs) {
    queue.add(calls, nowMs);
    queue.waiting.forEach(([c]) => fetchCall(c));
  }

  function speakTts(entry) {
    if (!window.speechSynthesis || !entry.text) { status.errors.push("no speechSynthesis or no text"); return; }
    const voices = speechSynthesis.getVoices();
    ["zh", "en"].forEach((lang) => {
      if (!entry.text[lang]) return;
      const u = new SpeechSynthesisUtterance(entry.text[lang]);
      u.lang = lang === "zh" ? "zh-CN" : "en-GB";
      const v = voices.find((x) => x.lang.replace("_", "-").toLowerCase().startsWith(lang === "zh" ? "zh-cn" : "en"));
      if (v) u.voice = v;
      status.said.push({ lang: u.lang, text: u.text, voice: v ? v.name : null });
      if (status.said.length > 200) status.said.shift();
      speechSynthesis.speak(u);  // the browser queues utterances: never over each other
    });
  }

  /** Start what is due at hall time ``nowMs``; return it (or null). */
  function tick(nowMs) {
    const u = queue.due(nowMs);
    if (u === null) return null;
    const c = u.call, entry = audio.get(callKey(c)) || {};
    const chime = window.WaitWellDisplay && window.WaitWellDisplay.Chime;
    if (chime && chimeOn()) chime.play();
    setTimeout(() => {
      // What was said, with its audio's length (fetched by now: the chime took 1.75 s).
      status.spoken.push({ ticket: c.ticket, window: c.window, recall: c.recall, duration: entry.duration === undefined ? null : entry.duration });
      if (status.spoken.length > 200) status.spoken.shift();
      if (MODE === "tts") { speakTts(entry); return; }
      if (!entry.buffer) { status.errors.push("no audio for " + c.ticket); return; }
      const ac = audioContext();
      const src = ac.createBufferSource();
      src.buffer = entry.buffer;
      src.connect(ac.destination);
      // Scheduled after whatever is still playing: a late device never plays two calls at once.
      const at = Math.max(ac.currentTime + 0.02, playhead);
      src.start(at);
      playhead = at + entry.buffer.duration;
    }, CHIME_MS + AFTER_CHIME_MS);
    return u;
  }

  /* ---- JS only: the loop and the autoplay banner ---- */

  let nowFn = null, timer = null, chimeOn = () => true;
  function loop() {
    clearTimeout(timer);
    if (nowFn === null) return;
    const nowMs = nowFn();
    if (nowMs !== null) tick(nowMs);
    const next = nowMs === null ? null : queue.nextDue(nowMs);
    timer = setTimeout(loop, next === null ? 1000 : Math.min(1000, Math.max(20, next - nowMs)));
  }

  function showAutoplayBanner() {
    const ac = audioContext();
    status.blocked = ac.state !== "running";
    if (!status.blocked) return;
    const b = document.createElement("button");
    b.id = "voice-enable";
    b.textContent = "点击开启语音叫号 · Tap to turn on spoken calls";
    b.addEventListener("click", () => {
      ac.resume().then(() => { status.blocked = false; b.remove(); });
    });
    document.body.appendChild(b);
  }

  window.WaitWellVoice = {
    VoiceQueue, MAX_AGE_S, AFTER_CHIME_MS, status, queue,
    enabled: MODE !== null,
    /** Called by display.js: ``now()`` is the hall's time in ms (null before any); ``chime()`` the content's chime setting. */
    attach(now, chime) { nowFn = now; chimeOn = chime; if (MODE === "clips") showAutoplayBanner(); loop(); },
    hear(calls, nowMs) { hear(calls, nowMs); loop(); },
  };
})();
