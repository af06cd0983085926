// pitstop's own chart glue over plotly.js (served from the installed plotly package).
// Every chart is a <div class="chart" data-title data-name data-unit [data-states] [data-levels]>:
//   data-series='[[ts, value], ...]' data-marks='[ts, ...]': a fixed chart (a job's evidence);
//   data-buckets="/vehicles/VIN/signals/S/buckets" data-from=.. data-to=..: fetched, and fetched
//   again in finer detail when the user zooms. Zooming one such chart zooms all of them (linked
//   x axes), and the range goes into the page's URL (?from=..&to=..), its range inputs and its
//   export links, so that a reload or a shared link shows the same view.
// data-buckets is a path the server built with every segment URL-encoded; it is used as is.
// Times are the browser's (window.pitstopTime, /static/time.js), the zone named on the axis.
"use strict";
(function () {
  // Titles, units and state names may be text a car chose: plotly reads a subset of HTML in
  // them (<a href>, <b>, ...), so they get <, > and & escaped, which plotly shows as literal text.
  const plain = (text) => String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  const time = window.pitstopTime;
  const zone = time ? time.zone(new Date()) : "local time";
  const config = { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["toImage"] };
  const dates = (ts) => ts.map((t) => new Date(t * 1000));
  const json = (text, empty) => (text ? JSON.parse(text) : empty);

  function meta(el) {
    const states = json(el.dataset.states, null);
    return { title: el.dataset.title || el.dataset.name, unit: el.dataset.unit || "",
      states, levels: json(el.dataset.levels, []) };
  }

  // The unit is on every tick of the y axis (a rotated axis title turns "V" into ">"); a state
  // signal's ticks are its state names. The title is the figure's caption, on the page.
  function layout(m, shapes, annotations, range) {
    const yaxis = { automargin: true, ticksuffix: m.unit && !m.states ? ` ${plain(m.unit)}` : "" };
    if (m.states) {
      const raw = Object.keys(m.states).map(Number).sort((a, b) => a - b);
      Object.assign(yaxis, { tickvals: raw, ticktext: raw.map((v) => plain(m.states[v])) });
    }
    const xaxis = { type: "date", title: { text: plain(`Time (${zone})`), font: { size: 11 } } };
    if (range) xaxis.range = range;
    return { margin: { l: 60, r: 10, t: 10, b: 45 }, height: 240, shapes, annotations, xaxis, yaxis,
      showlegend: false };
  }

  // A rule's levels: dashed lines across the chart, each labelled at its right end.
  function levels(m) {
    const shapes = m.levels.map((l) => ({ type: "line", xref: "paper", x0: 0, x1: 1, y0: l.value, y1: l.value,
      line: { color: l.kind === "fire" ? "#dc2626" : "#16a34a", width: 1.5, dash: "dash" } }));
    const notes = m.levels.map((l) => ({ xref: "paper", x: 1, xanchor: "right", y: l.value, yanchor: "bottom",
      text: plain(l.label), showarrow: false, font: { size: 11, color: l.kind === "fire" ? "#dc2626" : "#16a34a" } }));
    return [shapes, notes];
  }

  // The hover of a point: its time and its value with the unit, or its state's name.
  function trace(m, x, y, extra) {
    const unit = m.unit ? ` ${plain(m.unit)}` : "";
    const named = m.states ? y.map((v) => plain(m.states[Math.round(v)] ?? String(v))) : null;
    const hovertemplate = `%{x|%Y-%m-%d %H:%M:%S} ${plain(zone)}<br>` +
      (named ? "%{customdata}" : `%{y:.4~g}${unit}`) + "<extra></extra>";
    return Object.assign({ x, y, name: plain(m.title), customdata: named, hovertemplate,
      line: { color: "#2563eb", shape: m.states ? "hv" : "linear" } }, extra);
  }

  function fixed(el) {
    const m = meta(el);
    const points = JSON.parse(el.dataset.series);
    const marks = JSON.parse(el.dataset.marks || "[]").map((t) => ({
      type: "line", x0: new Date(t * 1000), x1: new Date(t * 1000), yref: "paper", y0: 0, y1: 1,
      line: { color: "#dc2626", width: 1 },
    }));
    const [shapes, notes] = levels(m);
    const line = trace(m, dates(points.map((p) => p[0])), points.map((p) => p[1]),
      { mode: "lines+markers", marker: { size: 3 } });
    Plotly.newPlot(el, [line], layout(m, marks.concat(shapes), notes), config);
  }

  const linked = [...document.querySelectorAll(".chart[data-buckets]")];

  async function fetched(el, from, to) {
    const m = meta(el);
    const url = `${el.dataset.buckets}?from=${from}&to=${to}&points=600`;
    const answer = await fetch(url, { credentials: "same-origin" });
    if (!answer.ok) { el.textContent = `Could not load ${m.title} (${answer.status}).`; return; }
    const body = await answer.json();
    const x = dates(body.buckets.map((b) => b.start + body.bucket_s / 2));
    const traces = [];
    if (m.states) {
      traces.push(trace(m, x, body.buckets.map((b) => b.last), { mode: "lines" }));
    } else {
      traces.push({ x: x.concat([...x].reverse()), hoverinfo: "skip", fill: "toself",
        y: body.buckets.map((b) => b.max).concat(body.buckets.map((b) => b.min).reverse()),
        fillcolor: "rgba(37,99,235,.15)", line: { width: 0 } });
      traces.push(trace(m, x, body.buckets.map((b) => b.mean), { mode: "lines" }));
    }
    el.dataset.points = String(body.buckets.length);
    const [shapes, notes] = levels(m);
    const range = [new Date(from * 1000), new Date(to * 1000)];
    await Plotly.react(el, traces, layout(m, shapes, notes, range), config);
    el.dataset.shownFrom = String(from);
    el.dataset.shownTo = String(to);
    if (!el.dataset.bound) {
      el.dataset.bound = "1";
      el.on("plotly_relayout", (ev) => {
        const a = ev["xaxis.range[0]"], b = ev["xaxis.range[1]"];
        if (a && b) show(Date.parse(a.replace(" ", "T")) / 1000, Date.parse(b.replace(" ", "T")) / 1000);
        else if (ev["xaxis.autorange"]) show(Number(el.dataset.from), Number(el.dataset.to));
      });
    }
  }

  // One range for every linked chart, written into the URL (replaceState: reload keeps it).
  function show(from, to) {
    if (!(from < to)) return;
    for (const other of linked) fetched(other, from, to);
    const iso = (s) => new Date(s * 1000).toISOString().replace(/\.000Z$/, "Z");
    const url = new URL(window.location.href);
    url.searchParams.set("from", iso(from));
    url.searchParams.set("to", iso(to));
    url.searchParams.delete("hours");
    window.history.replaceState(null, "", url);
    for (const link of document.querySelectorAll("a[data-range-link]")) {
      const target = new URL(link.href);
      target.searchParams.set("from", iso(from));
      target.searchParams.set("to", iso(to));
      link.href = target.toString();
    }
    for (const input of document.querySelectorAll("input[data-range]")) {
      const at = new Date((input.dataset.range === "from" ? from : to) * 1000);
      input.value = time ? time.inputValue(at) : at.toISOString().slice(0, 16);
    }
  }

  for (const el of document.querySelectorAll(".chart[data-series]")) fixed(el);
  for (const el of linked) fetched(el, Number(el.dataset.from), Number(el.dataset.to));
})();
