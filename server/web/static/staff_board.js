/* WaitWell staff board rule: which alerts ring, and what the tablet shows in which order.
 * Pure: alerts, hall time and settings in, a description of the board out; no DOM, no clock.
 * Loaded by staff.html (window.WaitWellBoard) and by node and the bench's staff model alike,
 * so what is measured is what the tablet does. */
(function (root) {
  "use strict";

  /** Kinds that need a person now: a new one rings and vibrates. care_soon is a forecast, so it
   * never rings; kinds the page does not know do not ring either (the page cannot say what to do). */
  const RING_KINDS = Object.freeze(["care_15", "care_30", "staffing", "open_windows"]);

  const DEFAULTS = Object.freeze({
    /** Cards before "N more": six fit a 390x844 phone with the compact phone cards. */
    screenful: 6,
    /** More active care_soon than this become one hall card ("N customers likely to wait…"). */
    foldAbove: 3,
    /** Due visits one person on the floor can keep up with; beyond staff x this, rounds. */
    visitsPerStaff: 2,
    /** Customers in one care round: at 2-3 min a visit, about a quarter of an hour in the lobby. */
    roundSize: 6,
    /** People on the floor (the tablet's setting). */
    staff: 2,
  });

  const HALL_KINDS = ["open_windows", "staffing"];
  const CARE_KINDS = ["care_30", "care_15"];

  function rings(kind) { return RING_KINDS.indexOf(kind) >= 0; }

  function since(alert) {
    const t = Date.parse(alert.waiting_since || alert.raised_at);
    return isNaN(t) ? 0 : t;
  }
  function raised(alert) { return Date.parse(alert.raised_at) || 0; }
  function byId(a, b) { return a.id < b.id ? -1 : a.id > b.id ? 1 : 0; }
  function longestFirst(a, b) { return a.since - b.since || byId(a.primary, b.primary); }

  /** One customer to visit: their care_30 if it was raised (the care_15 folds into it, so two
   * people do not walk to the same customer), else their care_15. */
  function visits(alerts) {
    const byTicket = new Map();
    alerts.forEach((a) => {
      if (CARE_KINDS.indexOf(a.kind) < 0) return;
      const key = (a.ticket || a.id) + "@" + (a.waiting_since || "");
      const v = byTicket.get(key) || { ticket: a.ticket, service: a.service, care30: null, care15: null };
      if (a.kind === "care_30") v.care30 = a; else v.care15 = a;
      byTicket.set(key, v);
    });
    return Array.from(byTicket.values()).map((v) => {
      const primary = v.care30 || v.care15;
      const all = [v.care30, v.care15].filter(Boolean);
      return {
        ticket: v.ticket, service: v.service, kind: primary.kind, primary: primary, earlier: v.care30 ? v.care15 : null,
        since: since(primary), taken: !!primary.acknowledged_by,
        // What one "I'll take it" acknowledges: every alert of this customer nobody took yet.
        ackIds: all.filter((a) => !a.acknowledged_by).map((a) => a.id),
      };
    });
  }

  function card(alert) {
    return { type: "alert", key: alert.id, kind: alert.kind, alert: alert, taken: !!alert.acknowledged_by,
             ids: [alert.id], ackIds: alert.acknowledged_by ? [] : [alert.id], ringKey: alert.id };
  }

  function visitCard(v) {
    return { type: "alert", key: v.primary.id, kind: v.kind, alert: v.primary, earlier: v.earlier, taken: v.taken,
             ids: [v.primary.id].concat(v.earlier ? [v.earlier.id] : []), ackIds: v.taken ? [] : v.ackIds,
             ringKey: v.primary.id, since: v.since };
  }

  /**
   * What the tablet shows now.
   *
   * alerts: the active ALERT objects (resolved ones already left); now: hall time in ms;
   * options: DEFAULTS overrides plus `expanded` (the "N more" list is open).
   * Returns {cards, shown, more, rounds, due, capacity, staff}: every card in order, those on
   * screen, how many wait behind "N more", whether care visits are grouped into rounds.
   *
   * Order: hall actions (open_windows, staffing), then care visits nobody took (apologies
   * first, then longest wait first, or rounds of them), then the early-care forecasts (one hall
   * card when there are many), then kinds the page does not know, then what somebody took.
   */
  function board(alerts, now, options) {
    const o = Object.assign({}, DEFAULTS, options || {});
    const staff = Math.max(1, Math.floor(o.staff) || 1);
    const active = alerts.filter((a) => !a.resolved_at);
    const open = active.filter((a) => !a.acknowledged_by);
    const taken = active.filter((a) => a.acknowledged_by);

    const hall = open.filter((a) => HALL_KINDS.indexOf(a.kind) >= 0)
      .sort((a, b) => HALL_KINDS.indexOf(a.kind) - HALL_KINDS.indexOf(b.kind) || raised(a) - raised(b) || byId(a, b))
      .map(card);

    const all = visits(active);
    const due = all.filter((v) => !v.taken).sort((a, b) =>
      (a.kind === "care_30" ? 0 : 1) - (b.kind === "care_30" ? 0 : 1) || longestFirst(a, b));
    const capacity = staff * o.visitsPerStaff;
    const roundsOn = due.length > capacity;
    let care;
    if (roundsOn) {
      // Longest wait first across both kinds: the round walks the lobby in the order people came.
      const order = due.slice().sort(longestFirst);
      care = [];
      for (let i = 0; i < order.length; i += o.roundSize) {
        const members = order.slice(i, i + o.roundSize);
        care.push({
          type: "round", key: "round:" + members[0].primary.id, kind: "round", taken: false, visits: members,
          ids: [].concat.apply([], members.map((v) => v.ackIds)),
          ackIds: [].concat.apply([], members.map((v) => v.ackIds)),
          ringKeys: members.map((v) => v.primary.id),
          apology: members.some((v) => v.kind === "care_30"),
        });
      }
    } else {
      care = due.map(visitCard);
    }

    const soon = open.filter((a) => a.kind === "care_soon").sort((a, b) => since(a) - since(b) || byId(a, b));
    const soonTaken = taken.filter((a) => a.kind === "care_soon").sort((a, b) => since(a) - since(b) || byId(a, b));
    const folding = soon.length + soonTaken.length > o.foldAbove;
    const fold = (members, by) => ({
      type: "fold", key: by ? "fold:care_soon:" + by : "fold:care_soon", kind: "care_soon", taken: !!by, by: by || null,
      alerts: members, count: members.length, ids: members.map((a) => a.id), ackIds: by ? [] : members.map((a) => a.id),
      acknowledged_at: by ? members.map((a) => a.acknowledged_at).sort().pop() || null : null,
    });
    const forecast = !soon.length ? [] : folding ? [fold(soon, null)] : soon.map(card);

    const known = HALL_KINDS.concat(CARE_KINDS, ["care_soon"]);
    const other = open.filter((a) => known.indexOf(a.kind) < 0).sort((a, b) => raised(a) - raised(b) || byId(a, b)).map(card);

    // Taken: in rounds, one card per person with the customers they are visiting; else as cards.
    let takenCards;
    const takenVisits = all.filter((v) => v.taken);
    let takenRest = taken.filter((a) => CARE_KINDS.indexOf(a.kind) < 0 && !(folding && a.kind === "care_soon"))
      .sort((a, b) => rank(a.kind) - rank(b.kind) || raised(a) - raised(b) || byId(a, b)).map(card);
    if (folding) takenRest = takenRest.concat(groupBy(soonTaken, (a) => a.acknowledged_by).map(([by, members]) => fold(members, by)));
    if (roundsOn) {
      takenCards = groupBy(takenVisits.sort(longestFirst), (v) => v.primary.acknowledged_by).map(([who, members]) => ({
        type: "round", key: "taken:" + who, kind: "round", taken: true, by: who, visits: members,
        ids: [].concat.apply([], members.map((v) => [v.primary.id].concat(v.earlier ? [v.earlier.id] : []))),
        ackIds: [], ringKeys: [], apology: members.some((v) => v.kind === "care_30"),
        acknowledged_at: members.map((v) => v.primary.acknowledged_at).sort().pop() || null,
      })).concat(takenRest);
    } else {
      takenCards = takenVisits.sort((a, b) => rank(a.kind) - rank(b.kind) || longestFirst(a, b)).map(visitCard).concat(takenRest);
    }

    const cards = hall.concat(care, forecast, other, takenCards);
    const shown = o.expanded ? cards : cards.slice(0, o.screenful);
    return { cards: cards, shown: shown, more: cards.length - shown.length, rounds: roundsOn,
             due: due.length, capacity: capacity, staff: staff, now: now };
  }

  /** [[key, members]] in the order each key first appears. */
  function groupBy(items, keyOf) {
    const groups = new Map();
    items.forEach((x) => {
      const k = keyOf(x);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(x);
    });
    return Array.from(groups.entries());
  }

  const RANK = { care_30: 0, care_15: 1, open_windows: 2, staffing: 3, care_soon: 4 };
  function rank(kind) { return kind in RANK ? RANK[kind] : 9; }

  /** The ringing units of a board: each untaken hall or visit card of a ring kind, each round. */
  function ringUnits(result) {
    const out = [];
    result.cards.forEach((c) => {
      if (c.taken) return;
      if (c.type === "round") out.push({ round: true, keys: c.ringKeys });
      else if (c.type === "alert" && rings(c.kind)) out.push({ round: false, keys: [c.ringKey] });
    });
    return out;
  }

  /**
   * How many new rings this board brings, given the keys that already rang (updated in place).
   * A card rings when its alert is new. A round rings once, when it forms: when it brings a
   * customer who has not rung and none of its customers rang in a round before. So the round
   * that forms as rounds switch on rings even if some of its customers rang as cards, and
   * customers joining a round that already rang do not ring again.
   */
  function newRings(result, rung) {
    let count = 0;
    ringUnits(result).forEach((unit) => {
      const keys = unit.keys;
      if (unit.round) {
        if (keys.some((k) => !rung.has(k)) && !keys.some((k) => rung.has(IN_ROUND + k))) count += 1;
        keys.forEach((k) => { rung.add(k); rung.add(IN_ROUND + k); });
      } else {
        if (!rung.has(keys[0])) count += 1;
        rung.add(keys[0]);
      }
    });
    return count;
  }
  const IN_ROUND = "round:";

  const api = { RING_KINDS, DEFAULTS, rings, board, newRings };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.WaitWellBoard = api;
})(typeof window !== "undefined" ? window : this);
