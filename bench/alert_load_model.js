/* The floor staff model of bench/alert_load.py: a day's alerts, the staff board rule
 * (server/web/static/staff_board.js) and N people who take what the board shows first.
 *
 * Runs in node (`node bench/alert_load_model.js < input.json`) and in Chromium (injected into the
 * /staff page, where it uses the page's own window.WaitWellBoard), so the measured rule is the
 * tablet's. Deterministic: the visit lengths come from a seeded generator.
 *
 * The model: every staff member carries a tablet that shows the board; the hall's alerts arrive
 * at their raised_at and leave at their resolved_at (the server's record of the day). Whenever a
 * person is free, they take the first card on the board that asks for a person (a hall action,
 * a visit, a care round; not the early-care forecast) and acknowledge it with one tap. A hall
 * action keeps them `hall_s`; a visit `visit_s[0]`..`visit_s[1]` (uniform); a round visits its
 * customers in turn, skipping anyone called before their turn.
 */
(function (root) {
  "use strict";

  function rng(seed) {
    let x = (seed >>> 0) || 1;
    return () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x / 4294967296; };
  }

  function percentile(values, p) {
    if (!values.length) return null;
    const s = values.slice().sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  }

  const CARE = ["care_15", "care_30"];
  const ACTION = ["care_15", "care_30", "staffing", "open_windows"];

  /**
   * alerts: ALERT objects of a whole day (raised_at, resolved_at as the server recorded them);
   * options: {staff, visit_s: [lo, hi], hall_s, open, close (ISO), sample_s, seed, board: {...}};
   * Board: the staff_board.js module.
   */
  function simulate(alerts, options, Board) {
    const o = Object.assign({ staff: 2, visit_s: [120, 180], hall_s: 60, sample_s: 60, seed: 1, board: {} }, options);
    const random = rng(o.seed);
    const t = (iso) => Date.parse(iso);
    // The board sees an alert as the tablet does: active (resolved_at null) until it leaves.
    const resolvedAt = new Map(alerts.map((a) => [a.id, a.resolved_at ? t(a.resolved_at) : null]));
    const day = alerts.map((a) => Object.assign({}, a, { acknowledged_by: null, acknowledged_at: null, resolved_at: null }))
      .sort((a, b) => t(a.raised_at) - t(b.raised_at) || (a.id < b.id ? -1 : 1));
    const gone = (a) => resolvedAt.get(a.id);
    const byId = new Map(day.map((a) => [a.id, a]));
    const open = o.open ? t(o.open) : t(day[0].raised_at);
    const close = o.close ? t(o.close) : Math.max.apply(null, day.map((a) => gone(a) || t(a.raised_at)));
    const staff = [];
    for (let i = 0; i < o.staff; i++) staff.push({ name: "S" + (i + 1), freeAt: open });
    const boardOptions = Object.assign({}, o.board, { staff: o.staff });

    // Each moment the page renders: every raise and every resolve, one at a time.
    const changes = [];
    day.forEach((a) => {
      changes.push({ at: t(a.raised_at), alert: a, up: true });
      if (gone(a) !== null) changes.push({ at: gone(a), alert: a, up: false });
    });
    changes.sort((x, y) => x.at - y.at || (x.up === y.up ? 0 : x.up ? 1 : -1));
    const active = new Map();
    const rung = new Set();
    let rings = 0;
    const visitStart = new Map();    // alert id -> when a person reached that customer
    let rounds = 0, roundCustomers = 0;
    const shown = [], cardsAll = [];

    const view = (now) => Board.board(Array.from(active.values()), now, boardOptions);

    function take(now) {
      for (;;) {
        const free = staff.filter((s) => s.freeAt <= now).sort((a, b) => a.freeAt - b.freeAt);
        if (!free.length) return;
        const card = view(now).cards.find((c) => !c.taken && c.ackIds.length &&
          (c.type === "round" || (c.type === "alert" && ACTION.indexOf(c.kind) >= 0)));
        if (!card) return;
        const person = free[0];
        card.ackIds.forEach((id) => {
          const a = byId.get(id);
          a.acknowledged_by = person.name;
          a.acknowledged_at = new Date(now).toISOString();
        });
        let clock = now;
        if (card.type === "round" || CARE.indexOf(card.kind) >= 0) {
          const members = card.type === "round" ? card.visits : [{ primary: card.alert, earlier: card.earlier }];
          if (card.type === "round") { rounds += 1; roundCustomers += members.length; }
          members.forEach((v) => {
            const left = gone(v.primary);
            if (left !== null && left <= clock) return;  // called before their turn: nothing to visit
            [v.primary, v.earlier].forEach((a) => { if (a && !visitStart.has(a.id)) visitStart.set(a.id, clock); });
            clock += (o.visit_s[0] + random() * (o.visit_s[1] - o.visit_s[0])) * 1000;
          });
        } else {
          clock += o.hall_s * 1000;
        }
        person.freeAt = Math.max(clock, now + 1000);
      }
    }

    let i = 0;
    let nextSample = open;
    let last = -Infinity;
    for (;;) {
      const nextChange = i < changes.length ? changes[i].at : Infinity;
      const sample = nextSample <= close ? nextSample : Infinity;
      // Only moments still ahead: a person free since earlier with nothing to take stays free.
      const nextFree = Math.min.apply(null, staff.map((s) => s.freeAt).filter((x) => x > last).concat([Infinity]));
      const now = Math.min(nextChange, sample, nextFree);
      if (now === Infinity) break;
      last = now;
      if (now === nextChange) {
        const c = changes[i++];
        if (c.up) active.set(c.alert.id, c.alert); else active.delete(c.alert.id);
        if (Board.newRings(view(now), rung) > 0) rings += 1;
        take(now);
        continue;
      }
      take(now);
      if (now === sample) {
        const b = view(now);
        shown.push(b.shown.length);
        cardsAll.push(b.cards.length);
        nextSample += o.sample_s * 1000;
      }
    }

    const care = day.filter((a) => CARE.indexOf(a.kind) >= 0);
    const FIVE = 5 * 60 * 1000, TEN = 10 * 60 * 1000;
    // A visit still asked for 5 min after it came due (or acknowledged before): it needed a person.
    const needed = care.filter((a) => a.acknowledged_at || gone(a) === null || gone(a) - t(a.raised_at) > FIVE);
    const ackedIn5 = needed.filter((a) => a.acknowledged_at && t(a.acknowledged_at) - t(a.raised_at) <= FIVE);
    const needed10 = care.filter((a) => visitStart.has(a.id) || gone(a) === null || gone(a) - t(a.raised_at) > TEN);
    const reached10 = needed10.filter((a) => visitStart.has(a.id) && visitStart.get(a.id) - t(a.raised_at) <= TEN);
    const hours = (close - open) / 3600000;
    const raised = {};
    day.forEach((a) => { raised[a.kind] = (raised[a.kind] || 0) + 1; });
    const round3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
    return {
      staff: o.staff, hours: round3(hours), raised: raised,
      cards_on_screen: { max: Math.max.apply(null, shown.concat([0])), p90: percentile(shown, 0.9) },
      cards_in_list: { max: Math.max.apply(null, cardsAll.concat([0])), p90: percentile(cardsAll, 0.9) },
      rings: rings, rings_per_staff_hour: round3(rings / hours),
      care_alerts: care.length, care_needed_5min: needed.length,
      acked_within_5min: round3(needed.length ? ackedIn5.length / needed.length : 1),
      care_needed_10min: needed10.length,
      visited_within_10min: round3(needed10.length ? reached10.length / needed10.length : 1),
      rounds: rounds, mean_round_size: round3(rounds ? roundCustomers / rounds : null),
    };
  }

  const api = { simulate };
  if (typeof module === "object" && module.exports) {
    module.exports = api;
    if (require.main === module) {
      const Board = require("../server/web/static/staff_board.js");
      let input = "";
      process.stdin.on("data", (d) => { input += d; });
      process.stdin.on("end", () => {
        const job = JSON.parse(input);
        const out = job.runs.map((run) => simulate(job.alerts, run, Board));
        process.stdout.write(JSON.stringify(out) + "\n");
      });
    }
  } else {
    root.WaitWellStaffModel = api;
  }
})(typeof window !== "undefined" ? window : this);
