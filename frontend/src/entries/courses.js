import "../courses/courses.css";

// Course pages: times are sent in UTC (<time datetime="...Z">, its text the UTC fallback without
// JavaScript) and shown here in the viewer's own zone; forms learn that zone so that a typed
// wall-clock time means what the viewer meant.
const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
// dateStyle/timeStyle cannot be combined with timeZoneName, so the parts are named one by one.
const shown = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "numeric",
  minute: "2-digit",
  timeZoneName: "short",
});

for (const element of document.querySelectorAll("time[data-local]")) {
  const moment = new Date(element.getAttribute("datetime"));
  if (Number.isNaN(moment.getTime())) continue;
  element.title = element.textContent.trim(); // the UTC text stays at hand
  element.textContent = shown.format(moment);
  element.dataset.zone = zone;
}

// A datetime-local input holds a wall-clock time: the UTC one the server filled in becomes local.
function wallClock(moment) {
  const pad = (n) => String(n).padStart(2, "0");
  return (
    `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}` +
    `T${pad(moment.getHours())}:${pad(moment.getMinutes())}`
  );
}

for (const form of document.querySelectorAll("form[data-zoned]")) {
  const field = form.querySelector('input[name="time_zone"]');
  if (!field || field.dataset.chosen === "true") continue;
  field.value = zone;
  for (const input of form.querySelectorAll('input[type="datetime-local"][data-utc]')) {
    const moment = new Date(input.dataset.utc);
    if (!Number.isNaN(moment.getTime())) input.value = wallClock(moment);
  }
}
