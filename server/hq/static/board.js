// The head-office board: every hall worst first (customers past 30 min, then 15, then the longest
// wait), offline halls marked with how long; a click opens the hall's live view and today's report.
"use strict";

const TEXT = {
  zh: {title: "总部看板", hall: "营业厅", region: "区域", waiting: "等候", longest: "最长等候", windows: "开放窗口",
       care_30: "30分钟关怀", care_15: "15分钟关怀", share: "今日超15分钟", link: "连接", online: "在线",
       late: "延迟", offline: "离线", for: "已", never: "从未连接", min: "分钟", h: "小时", updated: "更新于",
       no_token: "请在网址中加上 ?token=总部令牌", wrong_token: "令牌无效", unreachable: "无法连接总部服务器",
       live: "实时", queue: "排队", ticket: "号码", service: "业务", waited: "已等", alerts: "待处理提醒",
       today: "今日报表", tickets: "取号", served: "办结", no_shows: "过号", mean: "平均等候", p90: "90%等候",
       acks: "关怀已确认", ack_time: "确认用时中位数", none: "无", window: "窗口", open: "开放", closed: "关闭"},
  en: {title: "Head office", hall: "Hall", region: "Region", waiting: "Waiting", longest: "Longest wait",
       windows: "Open windows", care_30: "Care 30 min", care_15: "Care 15 min", share: "Over 15 min today",
       link: "Link", online: "online", late: "late", offline: "offline", for: "for", never: "never seen",
       min: "min", h: "h", updated: "updated", no_token: "Add ?token=HEAD-OFFICE-TOKEN to the address",
       wrong_token: "Wrong token", unreachable: "Head office cannot be reached", live: "Live", queue: "Queue",
       ticket: "Ticket", service: "Service", waited: "Waited", alerts: "Open alerts", today: "Today's report",
       tickets: "Tickets", served: "Served", no_shows: "No-shows", mean: "Mean wait", p90: "P90 wait",
       acks: "Care acknowledged", ack_time: "Median time to acknowledge", none: "none", window: "Window",
       open: "open", closed: "closed"},
};
const token = new URLSearchParams(location.search).get("token");
let lang = localStorage.getItem("waitwell-hq-lang") || "zh";
let halls = [];
let selected = null;

const t = (key) => TEXT[lang][key] || key;
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const minutes = (s) => (s == null ? "–" : `${Math.floor(s / 60)} ${t("min")}`);
const percent = (x) => (x == null ? "–" : `${(x * 100).toFixed(1)}%`);

function ago(iso) {
  if (!iso) return t("never");
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s >= 3600 ? `${t("for")} ${(s / 3600).toFixed(1)} ${t("h")}` : `${t("for")} ${Math.floor(s / 60)} ${t("min")}`;
}

function worstFirst(a, b) {
  const score = (h) => [h.alerts.care_30, h.alerts.care_15, h.longest_wait_s ?? -1];
  const [x, y] = [score(a), score(b)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return y[i] - x[i];
  return a.hall_id.localeCompare(b.hall_id);
}

function name(h) {
  return (lang === "en" ? h.name_en || h.name : h.name || h.name_en) || h.hall_id;
}

function render() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.getElementById("lang").textContent = lang === "zh" ? "EN" : "中文";
  document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
  const rows = [...halls].sort(worstFirst).map((h) => {
    const level = h.alerts.care_30 > 0 ? "bad" : h.alerts.care_15 > 0 ? "warn" : "";
    const link = h.link === "online" ? t("online") : `${t(h.link)} ${ago(h.last_seen_at)}`;
    return `<tr class="hall ${level} ${h.link}" data-hall="${esc(h.hall_id)}">
      <td>${esc(name(h))}</td><td>${esc(h.region)}</td><td class="num">${h.waiting_total ?? "–"}</td>
      <td class="num">${minutes(h.longest_wait_s)}</td><td class="num">${h.open_windows ?? "–"}</td>
      <td class="num">${h.alerts.care_30}</td><td class="num">${h.alerts.care_15}</td>
      <td class="num">${percent(h.share_over_15_today)}</td>
      <td><span class="link ${h.link}">${esc(link)}</span></td></tr>`;
  });
  document.querySelector("#halls tbody").innerHTML = rows.join("");
}

async function api(path) {
  const response = await fetch(path, {headers: {Authorization: `Bearer ${token}`}});
  if (response.status === 401 || response.status === 403) throw new Error(t("wrong_token"));
  if (!response.ok) throw new Error(`${t("unreachable")} (${response.status})`);
  return response.json();
}

function say(message) {
  const el = document.getElementById("message");
  el.hidden = !message;
  el.textContent = message || "";
}

async function refresh() {
  if (!token) { say(t("no_token")); return; }
  try {
    halls = (await api("/api/halls")).halls;
    say("");
    document.getElementById("updated").textContent = `${t("updated")} ${new Date().toLocaleTimeString()}`;
    render();
    if (selected) await showHall(selected);
  } catch (error) {
    say(error.message === "Failed to fetch" ? t("unreachable") : error.message);
  }
}

async function showHall(hallId) {
  selected = hallId;
  const hall = halls.find((h) => h.hall_id === hallId);
  const state = await api(`/api/halls/${encodeURIComponent(hallId)}/state`);
  let row = null;
  if (state.date) {
    const report = await api(`/api/report?date=${state.date}`);
    row = report.halls.find((r) => r.hall_id === hallId) || null;
  }
  const queue = state.waiting.slice(0, 20).map((w) =>
    `<tr><td>${esc(w.ticket)}</td><td>${esc(w.service)}</td><td class="num">${minutes(w.waited_s)}</td></tr>`).join("");
  const alerts = state.alerts.map((a) => `<li>${esc(a.kind)} ${esc(a.ticket || "")}</li>`).join("") || `<li>${t("none")}</li>`;
  const windows = state.windows.map((w) => `<li>${t("window")} ${esc(w.id)}: ${w.open ? t("open") : t("closed")}</li>`).join("");
  const figures = row ? [["tickets", row.tickets], ["served", row.served], ["no_shows", row.no_shows],
    ["mean", minutes(row.mean_wait_s)], ["p90", minutes(row.p90_wait_s)], ["share", percent(row.share_over_15)],
    ["acks", `${row.care_alerts_acknowledged} / ${row.care_alerts_raised}`],
    ["ack_time", row.median_time_to_ack_s == null ? "–" : `${row.median_time_to_ack_s} s`]] : [];
  const detail = document.getElementById("detail");
  detail.hidden = false;
  detail.innerHTML = `<h2>${esc(hall ? name(hall) : hallId)} · ${t("live")} ${esc(state.at || "")}</h2>
    <div class="grid">
      <div><h3>${t("queue")} (${state.waiting_total})</h3><table><thead><tr><th>${t("ticket")}</th><th>${t("service")}</th>
        <th class="num">${t("waited")}</th></tr></thead><tbody>${queue}</tbody></table></div>
      <div><h3>${t("alerts")}</h3><ul>${alerts}</ul><h3>${t("windows")}</h3><ul>${windows}</ul></div>
      <div id="today"><h3>${t("today")}</h3><table>${figures.map(([k, v]) =>
        `<tr><td>${t(k)}</td><td class="num">${esc(v)}</td></tr>`).join("")}</table></div>
    </div>`;
}

document.getElementById("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("waitwell-hq-lang", lang);
  render();
  if (selected) showHall(selected).catch((e) => say(e.message));
});
document.querySelector("#halls tbody").addEventListener("click", (event) => {
  const row = event.target.closest("tr.hall");
  if (row) showHall(row.dataset.hall).catch((e) => say(e.message));
});
refresh();
setInterval(refresh, 5000);
