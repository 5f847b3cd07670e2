/* WaitWell staff board rule: which alerts ring, and what the tablet shows in which order.
 * Pure: alerts, hall time and settings in, a description of the board out; no DOM, no clock.
 * Loaded by staff.html (window.WaitWellBoard) and by node (bench/alert_load.py) alike. */
(function (root) {
  "use strict";

  /** Kinds that need a person now: a new one rings and vibrates. care_soon is a forecast, so it
   * never rings; kinds the page does not know do not ring either (the page cannot say what to do). */
  const RING_KINDS = Object.freeze(["care_15", "care_30", "staffing", "open_windows"]);

  function rings(kind) { return RING_KINDS.indexOf(kind) >= 0; }

  const api = { RING_KINDS, rings };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.WaitWellBoard = api;
})(typeof window !== "undefined" ? window : this);
