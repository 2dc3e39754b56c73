// A websocket that reconnects by itself: exponential backoff with full
// jitter (0.5 s doubling up to 30 s), a ping every 25 s so idle proxies keep
// it open, and the connection state shown in #connection-state. The server
// accepts a socket before it may close it (4429: too many sockets from this
// client; 4401: sign in again), so the backoff starts over only once a
// message has arrived, and a socket over the cap waits the longest delay.
"use strict";

(function () {
  const MIN_DELAY_MS = 500;
  const MAX_DELAY_MS = 30000;
  const PING_MS = 25000;
  const TOO_MANY_SOCKETS = 4429;

  function showState(state, text) {
    const badge = document.getElementById("connection-state");
    if (!badge) return;
    badge.dataset.state = state;
    badge.textContent = text;
  }

  function connect(path, onMessage, options) {
    const settings = Object.assign({ permanentCloseCodes: [] }, options);
    let attempts = 0;
    let socket = null;
    let pinger = null;

    function open() {
      const scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
      showState("connecting", attempts ? "reconnecting…" : "connecting…");
      socket = new WebSocket(scheme + window.location.host + path);
      socket.addEventListener("open", function () {
        showState("live", "live");
        pinger = window.setInterval(function () {
          if (socket.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
        }, PING_MS);
      });
      socket.addEventListener("message", function (event) {
        attempts = 0;
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        onMessage(message);
      });
      socket.addEventListener("close", function (event) {
        window.clearInterval(pinger);
        if (settings.permanentCloseCodes.indexOf(event.code) !== -1) {
          showState("closed", "closed");
          return;
        }
        const ceiling = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * Math.pow(2, attempts));
        const tooMany = event.code === TOO_MANY_SOCKETS;
        const delay = tooMany ? MAX_DELAY_MS : Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
        attempts += 1;
        const why = tooMany ? "too many open pages" : "offline";
        showState("offline", why + ", retrying in " + Math.ceil(delay / 1000) + " s");
        window.setTimeout(open, delay);
      });
    }

    open();
  }

  window.PodiumSocket = { connect: connect };
})();
