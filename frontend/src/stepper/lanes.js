// The two-lane (or more) client/server view: one lane per client and one for the server, every
// frame an arrow with its payload. Arrows point by shape (◀ / ▶) and say so in words, never by colour alone.

const KIND_WORDS = {
  connect: "connects",
  accept: "accepts",
  deny: "denies (HTTP)",
  text: "text",
  bytes: "bytes",
  json: "JSON",
  close: "close",
};

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export { el };

/** "client → server: text 'Hello'" — the frame as one readable sentence. */
export function describeFrame(frame) {
  const from = frame.direction === "to_server" ? frame.client : "server";
  const to = frame.direction === "to_server" ? "server" : frame.client;
  const parts = [`${from} → ${to}: ${KIND_WORDS[frame.type] || frame.type}`];
  if (frame.type === "connect" && frame.payload) parts.push(`to ${frame.payload}`);
  else if (frame.type === "deny" && frame.code) parts.push(`HTTP ${frame.code}`);
  else if (frame.payload !== null && frame.payload !== undefined && frame.type !== "close") {
    parts.push(frame.type === "bytes" ? `hex ${frame.payload}` : JSON.stringify(frame.payload));
  }
  if (frame.type === "close") {
    if (frame.code) parts.push(`code ${frame.code}`);
    if (frame.reason) parts.push(`reason ${JSON.stringify(frame.reason)}`);
  }
  if (frame.subprotocol) parts.push(frame.type === "connect" ? `offering ${frame.subprotocol}` : `subprotocol ${frame.subprotocol}`);
  if (frame.truncated) parts.push("(cut short)");
  return parts.join(" ");
}

function payloadText(frame) {
  if (frame.type === "close") {
    return [frame.code ? `code ${frame.code}` : "", frame.reason ? `“${frame.reason}”` : ""].filter(Boolean).join(" ");
  }
  if (frame.type === "deny") return `HTTP ${frame.code || ""} ${frame.payload || ""}`.trim();
  if (frame.type === "accept") return frame.subprotocol ? `subprotocol ${frame.subprotocol}` : "";
  if (frame.type === "connect") return `${frame.payload || ""}${frame.subprotocol ? ` · offers ${frame.subprotocol}` : ""}`;
  if (frame.type === "bytes") return `0x ${frame.payload || ""}`;
  return frame.payload ?? "";
}

/**
 * Render the lanes into `host`.
 * entries: [{step, frames, waiting, notes}] in order; `current` is the step being shown.
 * options.ghost: a second label ("lesson") drawn dashed beside the learner's own run.
 */
export function renderLanes(host, clients, entries, current, options = {}) {
  host.replaceChildren();
  const lanes = [...clients, "server"];
  const columns = `repeat(${lanes.length}, minmax(0, 1fr))`;
  const head = el("div", { class: "lane-heads", "aria-hidden": "true" });
  head.style.gridTemplateColumns = columns;
  lanes.forEach((name) => head.append(el("span", { class: name === "server" ? "lane-head server" : "lane-head", text: name })));
  host.append(head);
  const list = el("ol", { class: "lane-rows", "aria-label": options.label || "Messages so far, oldest first" });
  let count = 0;
  for (const entry of entries) {
    const now = entry.step === current;
    const stepTag = `step ${entry.step}`;
    for (const frame of entry.frames) {
      const index = Math.max(0, clients.indexOf(frame.client));
      const row = el("li", {
        class: `lane-row frame ${frame.direction} type-${frame.type}${now ? " now" : " earlier"}`,
        "data-step": entry.step,
        "data-client": frame.client,
        "data-type": frame.type,
        "data-direction": frame.direction,
      });
      row.style.gridTemplateColumns = columns;
      const arrow = el(
        "div",
        { class: "arrow" },
        el("span", { class: "arrow-line", "aria-hidden": "true" }, frame.direction === "to_client" ? "◀" : "", el("span", { class: "shaft" }), frame.direction === "to_server" ? "▶" : ""),
        el("span", { class: "arrow-label" }, el("span", { class: "kind", text: KIND_WORDS[frame.type] || frame.type }), " ", el("code", { class: "payload", text: payloadText(frame) })),
      );
      arrow.style.gridColumn = `${index + 1} / ${lanes.length + 1}`;
      row.append(el("span", { class: "visually-hidden", text: `${now ? "This step" : stepTag}: ${describeFrame(frame)}.` }), arrow);
      arrow.setAttribute("aria-hidden", "true");
      row.append(el("span", { class: "row-tag", "aria-hidden": "true", text: now ? `● ${stepTag}` : stepTag }));
      list.append(row);
      count += 1;
    }
    for (const who of entry.waiting || []) {
      const row = el("li", { class: `lane-row pause${now ? " now" : " earlier"}`, "data-step": entry.step, "data-client": who });
      row.style.gridTemplateColumns = columns;
      const mark = el("div", { class: "pause-mark" }, el("span", { "aria-hidden": "true", text: "‖ " }), `server awaits ${who}'s message`);
      mark.style.gridColumn = `${lanes.length} / ${lanes.length + 1}`;
      row.append(mark, el("span", { class: "row-tag", "aria-hidden": "true", text: now ? `● ${stepTag}` : stepTag }));
      list.append(row);
      count += 1;
    }
  }
  if (!count) list.append(el("li", { class: "lane-empty", text: options.empty || "Nothing has crossed the wire yet." }));
  host.append(list);
  const nowRows = list.querySelectorAll(".now");
  const last = nowRows.length ? nowRows[nowRows.length - 1] : list.lastElementChild;
  if (last && host.scrollHeight > host.clientHeight) host.scrollTop = last.offsetTop - host.clientHeight + last.offsetHeight + 8;
}
