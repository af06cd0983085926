// One time zone per person: the browser's. The server writes every time as
// <time datetime="2025-11-27T14:03:09Z">2025-11-27 14:03:09 UTC</time> (what a reader without
// JavaScript sees); this rewrites it in the browser's zone with the zone named
// ("2025-11-27 15:03:09 CET") and keeps the UTC text as the hover title.
// <input type="datetime-local" data-utc name="slot" value="...UTC..."> is shown and typed in
// the browser's zone too; the form then sends the UTC instant (ISO 8601 with Z) under the
// input's name (a form without JavaScript sends the UTC value it was given). <span data-zone> names the zone. charts.js uses window.pitstopTime.
"use strict";
(function () {
  const pad = (n) => String(n).padStart(2, "0");
  // "CET", "CEST", "UTC", or "GMT-5" where the zone has no common abbreviation.
  const zone = (date) => {
    const part = new Intl.DateTimeFormat("en-GB", { timeZoneName: "short" })
      .formatToParts(date).find((p) => p.type === "timeZoneName");
    return part ? part.value : "UTC";
  };
  const day = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const clock = (d) => `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const format = (d, part) => {
    if (part === "date") return day(d);
    if (part === "time") return `${clock(d)} ${zone(d)}`;
    return `${day(d)} ${clock(d)}:${pad(d.getSeconds())} ${zone(d)}`;
  };
  const utc = (d) => d.toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
  const inputValue = (d) => `${day(d)}T${clock(d)}`;
  window.pitstopTime = { zone, format, utc, inputValue };

  for (const el of document.querySelectorAll("time[datetime]")) {
    const d = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(d.getTime())) continue;
    el.textContent = format(d, el.dataset.part);
    el.title = utc(d);
    el.dataset.local = "1";
  }
  for (const el of document.querySelectorAll("[data-zone]")) el.textContent = zone(new Date());
  const utcInputs = "input[type=datetime-local][data-utc]";
  for (const input of document.querySelectorAll(utcInputs)) {
    if (input.value) input.value = inputValue(new Date(input.value + "Z"));
  }
  // On sending, each such input's name goes to a hidden twin holding the UTC instant.
  document.addEventListener("submit", (event) => {
    for (const input of event.target.querySelectorAll(utcInputs)) {
      const d = new Date(input.value);
      if (!input.name || Number.isNaN(d.getTime())) continue;
      const sent = document.createElement("input");
      sent.type = "hidden";
      sent.name = input.name;
      sent.value = d.toISOString();
      input.removeAttribute("name");
      input.after(sent);
    }
  });
})();
