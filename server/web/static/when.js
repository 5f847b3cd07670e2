/* WaitWell — /when: the typical wait per weekday and hour, as a heat map, and the next quiet hours. */
(function () {
  "use strict";

  const LANG_KEY = "waitwell.phone.lang";
  const S = {
    title: { zh: "何时来办理", en: "When to come" },
    quiet_title: { zh: "接下来等候较少的时段", en: "Coming hours with short waits" },
    none_yet: { zh: "还在学习中：需要至少 {n} 个营业日的记录。", en: "Still learning: this needs at least {n} business days." },
    map_title: { zh: "平时的等候时间（分钟）", en: "Typical wait (minutes)" },
    legend: { zh: "颜色越深等候越久；绿框为等候较少的时段。", en: "Darker means longer waits; green frames mark the quieter hours." },
    note: { zh: "根据过去 {d} 个营业日的实际等候计算（每格至少 {n} 天）。", en: "From the waits of the past {d} business days (at least {n} days per cell)." },
    weekdays: { zh: ["周一", "周二", "周三", "周四", "周五", "周六", "周日"], en: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] },
  };
  function stored() { try { return localStorage.getItem(LANG_KEY); } catch (e) { return null; } }
  let lang = stored() === "zh" || stored() === "en" ? stored()
    : String((navigator.languages && navigator.languages[0]) || navigator.language || "").toLowerCase().startsWith("zh") ? "zh" : "en";
  function tr(key, p) {
    let text = S[key][lang];
    Object.keys(p || {}).forEach((k) => { text = text.split("{" + k + "}").join(String(p[k])); });
    return text;
  }
  const $ = (id) => document.getElementById(id);
  let data = null;

  function shade(share) { /* 0 (no wait) .. 1 (the longest learned wait) */
    const light = 95 - Math.round(share * 55);
    return "hsl(205, 60%, " + light + "%)";
  }

  function render() {
    document.documentElement.lang = lang === "en" ? "en" : "zh-CN";
    $("lang").textContent = lang === "en" ? "中文" : "EN";
    $("title").textContent = tr("title");
    $("quiet-title").textContent = tr("quiet_title");
    $("map-title").textContent = tr("map_title");
    $("legend").textContent = tr("legend");
    if (!data) return;
    $("note").textContent = tr("note", { d: data.days, n: data.min_days });
    const quiet = $("quiet");
    quiet.textContent = "";
    if (!data.quiet.length) {
      const li = document.createElement("li");
      li.textContent = tr("none_yet", { n: data.min_days });
      quiet.appendChild(li);
    }
    data.quiet.forEach((q) => {
      const li = document.createElement("li");
      li.textContent = q.text[lang];
      quiet.appendChild(li);
    });
    const cells = {};
    let maxWait = 1;
    const shown = data.cells.filter((c) => c.days >= data.min_days);
    shown.forEach((c) => { cells[c.weekday + ":" + c.hour] = c; maxWait = Math.max(maxWait, c.typical_wait_s); });
    const hours = shown.map((c) => c.hour);
    const table = $("map");
    table.textContent = "";
    const head = table.insertRow();
    head.appendChild(document.createElement("th"));
    S.weekdays[lang].forEach((name) => { const th = document.createElement("th"); th.textContent = name; head.appendChild(th); });
    if (!hours.length) return;
    for (let h = Math.min.apply(null, hours); h <= Math.max.apply(null, hours); h++) {
      const row = table.insertRow();
      const th = document.createElement("th");
      th.textContent = String(h).padStart(2, "0") + ":00";
      row.appendChild(th);
      for (let wd = 0; wd < 7; wd++) {
        const td = row.insertCell();
        const c = cells[wd + ":" + h];
        td.dataset.cell = wd + ":" + h;
        if (!c) { td.className = "none"; td.textContent = "·"; continue; }
        td.textContent = String(Math.round(c.typical_wait_s / 60));
        td.style.background = shade(c.typical_wait_s / maxWait);
        if (c.typical_wait_s / maxWait > 0.6) td.style.color = "#fff";
        if (c.quiet) td.className = "quiet";
      }
    }
  }

  $("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh" : "en";
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* private mode */ }
    render();
  });
  render();
  fetch("/api/forecast", { cache: "no-store" }).then((r) => r.json()).then((json) => {
    data = json;
    render();
    document.body.dataset.ready = "yes";
  });
})();
