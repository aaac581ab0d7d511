// The instructor dashboard follows grading live: activity arrives over a WebSocket, and the
// page's live regions are fetched again (server-rendered) whenever something they show changed.
"use strict";

(function () {
  const page = document.querySelector(".instructor-page");
  if (!page) return;
  const watch = page.dataset.watch || "all";
  const status = document.getElementById("live-status");
  const feed = document.getElementById("activity-feed");
  const labels = { queued: "queued", running: "grading…", passed: "passed", failed: "failed", error: "error" };
  let refreshTimer = null;
  let retryDelay = 1000;

  function setStatus(state, text) {
    if (!status) return;
    status.dataset.state = state;
    status.textContent = text;
  }

  function concerns(activity) {
    if (watch === "all") return true;
    const [kind, value] = watch.split(":");
    if (kind === "exercise") return activity.exercises.includes(value);
    if (kind === "user") return activity.users.includes(Number(value));
    if (kind === "submission") return activity.events.some((e) => e.kind === "submission" && e.id === Number(value));
    return false;
  }

  function describe(event) {
    if (event.kind === "quiz") {
      return `${event.username} answered ${event.question} of ${event.exercise}: ${event.choice}, ${event.correct ? "right" : "wrong"}`;
    }
    const score = event.score === null || event.score === undefined ? "" : ` ${event.score}/${event.max_score}`;
    return `${event.username}: submission #${event.id} to ${event.exercise} ${labels[event.status] || event.status}${score}`;
  }

  function addToFeed(events) {
    if (!feed) return;
    const empty = feed.querySelector(".empty");
    if (empty) empty.remove();
    for (const event of events) {
      const item = document.createElement("li");
      item.className = `event ${event.kind} ${event.kind === "quiz" ? (event.correct ? "passed" : "failed") : event.status}`;
      const time = document.createElement("time");
      time.textContent = new Date().toLocaleTimeString();
      item.append(time, " ");
      if (event.kind === "submission") {
        const link = document.createElement("a");
        link.href = `/instructor/submissions/${event.id}`;
        link.textContent = describe(event);
        item.append(link);
      } else {
        item.append(describe(event));
      }
      feed.prepend(item);
    }
    while (feed.children.length > 30) feed.lastElementChild.remove();
  }

  async function refresh(users) {
    try {
      const response = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      document.querySelectorAll("[data-live-region]").forEach((region) => {
        const replacement = region.id && fresh.getElementById(region.id);
        if (replacement) region.innerHTML = replacement.innerHTML;
      });
      for (const id of users) {
        const row = document.querySelector(`tr[data-user="${id}"]`);
        if (row) {
          row.classList.remove("flash");
          void row.offsetWidth; // restart the highlight animation
          row.classList.add("flash");
        }
      }
      page.dataset.refreshed = String(Number(page.dataset.refreshed || 0) + 1);
    } catch (_) { /* the next event or a reload shows it */ }
  }

  function scheduleRefresh(users) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => refresh(users), 250);
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/api/instructor/live`);
    socket.addEventListener("message", (message) => {
      const data = JSON.parse(message.data);
      if (data.type === "hello") {
        retryDelay = 1000;
        setStatus("live", "live");
        // Whatever changed between rendering the page and subscribing is caught up on once.
        scheduleRefresh([]);
      } else if (data.type === "activity") {
        addToFeed(data.events);
        if (concerns(data)) scheduleRefresh(data.users);
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401 || event.code === 4403) {
        setStatus("off", "not live: sign in again");
        return;
      }
      setStatus("connecting", "reconnecting…");
      setTimeout(connect, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 15000);
    });
  }

  connect();
})();
