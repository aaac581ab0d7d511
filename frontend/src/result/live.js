// Follow one submission's grading: the live WebSocket (one message per row, then the result),
// and if it drops before the result, the JSON API until the result is final.

const FINAL = new Set(["passed", "failed", "error"]);

export function follow(id, { onStep, onResult }) {
  let done = false;
  let polling = false;
  const finish = (result) => {
    if (done) return;
    done = true;
    onResult(result);
  };

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
    if (data.type === "step" && !done) onStep(data.step);
    else if (data.type === "result") finish(data.result);
  });
  socket.addEventListener("close", () => {
    if (!done) poll();
  });
}
