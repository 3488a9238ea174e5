// The control API as the page uses it: JSON requests and the journal's Server-Sent Events stream.
// A rack with a token (control.allow_remote) is opened as /web/#token=...; the fragment never reaches a
// server, and the token is sent only as the Authorization header of the page's own requests.

const TOKEN_KEY = "vrack-token";

function takeToken() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

export class Api {
  constructor(base = "/api/v1") {
    this.base = base;
    this.token = takeToken();
  }

  headers(extra = {}) {
    const headers = { ...extra };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    return headers;
  }

  async call(method, path, body) {
    const init = { method, headers: this.headers(body === undefined ? {} : { "content-type": "application/json" }) };
    if (body !== undefined) init.body = JSON.stringify(body);
    const response = await fetch(this.base + path, init);
    const text = await response.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch {
      data = { error: text.slice(0, 200) };
    }
    if (!response.ok) throw new ApiError(response.status, data);
    return data;
  }

  get(path) { return this.call("GET", path); }
  post(path, body) { return this.call("POST", path, body); }
  del(path) { return this.call("DELETE", path); }

  // Follow the journal from seq `after`: onEntries(list) per received chunk, onState("live"|"reconnecting"|"ended").
  // Reconnects (from the last seq seen) until stop() is called.  fetch, not EventSource: it can send the token.
  follow(after, onEntries, onState) {
    let last = after;
    let stopped = false;
    let controller = null;
    const run = async () => {
      let delay = 250;
      while (!stopped) {
        controller = new AbortController();
        try {
          const response = await fetch(`${this.base}/events/stream?after=${last}`, {
            headers: this.headers({ accept: "text/event-stream" }),
            signal: controller.signal,
          });
          if (!response.ok) throw new ApiError(response.status, null);
          onState("live");
          delay = 250;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let cut;
            const batch = [];
            let ended = false;
            while ((cut = buffer.indexOf("\n\n")) >= 0) {
              const block = buffer.slice(0, cut);
              buffer = buffer.slice(cut + 2);
              let event = "message";
              let data = "";
              for (const line of block.split("\n")) {
                if (line.startsWith("event:")) event = line.slice(6).trim();
                else if (line.startsWith("data:")) data += line.slice(5).trim();
              }
              if (event === "message" && data) {
                const entry = JSON.parse(data);
                last = Math.max(last, entry.seq);
                batch.push(entry);
              } else if (event === "end") {
                ended = true;
              }
            }
            if (batch.length) onEntries(batch);
            if (ended) {
              onState("ended");
              return;
            }
          }
        } catch (error) {
          if (stopped) return;
        }
        onState("reconnecting");
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, 5000);
      }
    };
    run();
    return { stop() { stopped = true; if (controller) controller.abort(); } };
  }
}
