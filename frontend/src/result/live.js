// Follow one submission's grading: the live WebSocket (one message per row, then the result),
// and if it drops before the result, the JSON API until the result is final.

const FINAL = new Set(["passed", "failed", "error"]);

export const queueText = (ahead) =>
  ahead === 0 ? "Queued: you are next." : `Queued: ${ahead} ahead of you.`;

export function follow(id, { onStep, onResult, onQueue }) {
  let done = false;
  let polling = false;
  let started = false; // a step has arrived: no longer queued
  const finish = (result) => {
    if (done) return;
    done = true;
    onResult(result);
  };

  // While the submission waits (fair share: others' gradings first), say how many are ahead of it.
  async function watchQueue() {
    await new Promise((resolve) => setTimeout(resolve, 400));
    while (!done && !started && onQueue) {
      try {
        const response = await fetch(`/api/submissions/${id}`, { credentials: "same-origin" });
        if (response.ok) {
          const state = await response.json();
          if (state.status !== "queued") return;
          if (typeof state.queue_position === "number" && !started && !done) onQueue(state.queue_position);
        }
      } catch (_) {
        /* offline for a moment: try again */
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
    }
  }
  watchQueue();

  async function poll() {
    if (polling || done) return;
    polling = true;
    let delay = 500;
    while (!done) {
      try {
        const response = await fetch(`/api/submissions/${id}`, { credentials: "same-origin" });
        if (response.ok) {
          const result = await response.json();
          if (FINAL.has(result.status)) {
            finish(result);
            return;
          }
        }
      } catch (_) {
        /* offline for a moment: try again */
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 1.5, 4000);
    }
  }

  const scheme = location.protocol === "https:" ? "wss" : "ws";
  let socket;
  try {
    socket = new WebSocket(`${scheme}://${location.host}/api/submissions/${id}/live`);
  } catch (_) {
    poll();
    return;
  }
  socket.addEventListener("message", (event) => {
    let data;
    try {
      data = JSON.parse(event.data);
    } catch (_) {
      return;
    }
    if (data.type === "step" && !done) {
      started = true;
      onStep(data.step);
    }
    else if (data.type === "result") finish(data.result);
  });
  socket.addEventListener("close", () => {
    if (!done) poll();
  });
}
