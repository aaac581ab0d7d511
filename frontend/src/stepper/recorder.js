// Stepping analytics: which rows a learner visits, how long each stays on screen, and which were
// reached by stepping back. Sent in small batches; the server keeps one total per row.
const FLUSH_EVERY = 12;
const MAX_MS = 10 * 60 * 1000;

export class Recorder {
  constructor(slug) {
    this.url = `/api/exercises/${slug}/stepping`;
    this.visits = [];
    this.step = 0;
    this.back = false;
    this.since = 0;
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") { this.close(); this.flush(true); }
      else if (this.step) this.since = performance.now();
    });
    window.addEventListener("pagehide", () => { this.close(); this.flush(true); });
  }

  arrive(step, back) {
    this.close();
    this.step = step;
    this.back = back;
    this.since = performance.now();
  }

  close() {
    if (!this.step || !this.since) return;
    const ms = Math.min(MAX_MS, Math.max(0, Math.round(performance.now() - this.since)));
    this.visits.push({ step: this.step, ms, back: this.back });
    this.since = 0;
    this.back = false;
    if (this.visits.length >= FLUSH_EVERY) this.flush(false);
  }

  flush(leaving) {
    if (!this.visits.length) return;
    const visits = this.visits.splice(0, 200);
    const meta = document.querySelector('meta[name="csrf-token"]');
    fetch(this.url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": meta ? meta.content : "" },
      body: JSON.stringify({ visits }),
    }).catch(() => { /* analytics must never disturb the lesson */ });
  }
}
