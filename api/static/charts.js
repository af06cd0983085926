// pitstop's own chart glue over plotly.js (served from the installed plotly package).
// <div class="chart" data-series='[[ts, value], ...]' data-marks='[ts, ...]'>: a fixed chart.
// <div class="chart" data-buckets="/vehicles/VIN/signals/S/buckets" data-from=.. data-to=..>:
// fetched, and fetched again in finer detail when the user zooms into a time range.
// data-buckets is a path the server built with every segment URL-encoded; it is used as is.
"use strict";
(function () {
  // A title is a name the car chose: plotly reads a subset of HTML in titles (<a href>, <b>,
  // ...), so it gets the name with <, > and & escaped, which plotly shows as the literal text.
  const plain = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const layout = (title, shapes) => ({
    title: { text: plain(title), font: { size: 13 } },
    margin: { l: 45, r: 10, t: 30, b: 35 }, height: 240, shapes: shapes || [],
    xaxis: { type: "date" }, showlegend: false,
  });
  const config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };
  const dates = (ts) => ts.map((t) => new Date(t * 1000));

  function fixed(el) {
    const points = JSON.parse(el.dataset.series);
    const marks = JSON.parse(el.dataset.marks || "[]").map((t) => ({
      type: "line", x0: new Date(t * 1000), x1: new Date(t * 1000), yref: "paper", y0: 0, y1: 1,
      line: { color: "#dc2626", width: 1 },
    }));
    const trace = { x: dates(points.map((p) => p[0])), y: points.map((p) => p[1]),
      mode: "lines+markers", marker: { size: 3 }, line: { color: "#2563eb" } };
    Plotly.newPlot(el, [trace], layout(el.dataset.title, marks), config);
  }

  async function fetched(el, from, to) {
    const url = `${el.dataset.buckets}?from=${from}&to=${to}&points=600`;
    const answer = await fetch(url, { credentials: "same-origin" });
    if (!answer.ok) { el.textContent = `Could not load ${el.dataset.title} (${answer.status}).`; return; }
    const body = await answer.json();
    const x = dates(body.buckets.map((b) => b.start + body.bucket_s / 2));
    const band = { x: x.concat([...x].reverse()),
      y: body.buckets.map((b) => b.max).concat(body.buckets.map((b) => b.min).reverse()),
      fill: "toself", fillcolor: "rgba(37,99,235,.15)", line: { width: 0 }, hoverinfo: "skip" };
    const mean = { x, y: body.buckets.map((b) => b.mean), mode: "lines", line: { color: "#2563eb" } };
    el.dataset.points = String(body.buckets.length);
    await Plotly.react(el, [band, mean], layout(el.dataset.title), config);
    if (!el.dataset.bound) {
      el.dataset.bound = "1";
      el.on("plotly_relayout", (ev) => {
        const a = ev["xaxis.range[0]"], b = ev["xaxis.range[1]"];
        if (a && b) fetched(el, Date.parse(a.replace(" ", "T") + "Z") / 1000, Date.parse(b.replace(" ", "T") + "Z") / 1000);
        else if (ev["xaxis.autorange"]) fetched(el, el.dataset.from, el.dataset.to);
      });
    }
  }

  for (const el of document.querySelectorAll(".chart[data-series]")) fixed(el);
  for (const el of document.querySelectorAll(".chart[data-buckets]")) fetched(el, el.dataset.from, el.dataset.to);
})();
