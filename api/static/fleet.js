// The fleet page, live: it listens to the first vehicles' streams (/vehicles/{vin}/stream)
// and, when one reports a new sample or a changed job, fetches this same page and swaps in its
// rows and its job list, so what is shown is always the server's own rendering (the page works
// without this script; a browser opens only a few connections per site, hence the cap, and a
// slow poll covers the rows beyond it).
"use strict";
(function () {
  var rows = document.getElementById("fleet-rows");
  if (!rows || !window.EventSource || !window.fetch) { return; }
  var MAX_STREAMS = 4, DEBOUNCE_MS = 400, POLL_MS = 30000;
  var live = document.getElementById("fleet-live");
  var pending = null, busy = false, again = false;

  function swap(id, fresh) {
    var old = document.getElementById(id), next = fresh.getElementById(id);
    if (old && next) { old.innerHTML = next.innerHTML; }
  }

  function refresh() {
    pending = null;
    if (busy) { again = true; return; }
    busy = true;
    fetch(window.location.href, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (answer) {
        if (!answer.ok) { throw new Error("the page answered " + answer.status); }
        return answer.text();
      })
      .then(function (text) {
        var fresh = new DOMParser().parseFromString(text, "text/html");
        swap("fleet-rows", fresh);
        swap("fleet-jobs", fresh);
        if (live) { live.textContent = "Updated " + new Date().toLocaleTimeString(); }
      })
      .catch(function () {
        if (live) { live.textContent = "Live updates paused: the server did not answer."; }
      })
      .then(function () {
        busy = false;
        if (again) { again = false; later(); }
      });
  }

  function later() {
    if (pending === null) { pending = window.setTimeout(refresh, DEBOUNCE_MS); }
  }

  var vins = Array.prototype.map.call(rows.querySelectorAll("tr[data-vin]"), function (row) {
    return row.getAttribute("data-vin");
  });
  vins.slice(0, MAX_STREAMS).forEach(function (vin) {
    var stream = new EventSource("/vehicles/" + encodeURIComponent(vin) + "/stream");
    stream.addEventListener("sample", later);
    stream.addEventListener("job", later);
  });
  if (vins.length > MAX_STREAMS) { window.setInterval(refresh, POLL_MS); }
})();
