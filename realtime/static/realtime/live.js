// Keeps /games/{slug}/live/ current. Everything from the server is shown with
// textContent, never parsed as HTML: usernames and game names are untrusted.
"use strict";

(function () {
  const root = document.getElementById("live");
  if (!root) return;
  const slug = root.dataset.slug;
  const boardKey = root.dataset.board || "default";
  const operator = root.dataset.operator || "best";
  const players = document.getElementById("players");
  const connections = document.getElementById("connections");
  const board = document.getElementById("leaderboard");
  const latest = document.getElementById("latest");
  const unit = root.dataset.unit || null;

  // games/units.py's format_score, to the letter (tests/pages hold them equal).
  const TIME_UNITS = { ms: 1, s: 1000 };
  function pad(number, width) {
    return String(number).padStart(width, "0");
  }
  function clock(totalMs, withMs) {
    const sign = totalMs < 0 ? "-" : "";
    let rest = Math.abs(totalMs);
    const ms = rest % 1000;
    rest = Math.floor(rest / 1000);
    const seconds = rest % 60;
    rest = Math.floor(rest / 60);
    const minutes = rest % 60;
    const hours = Math.floor(rest / 60);
    const text = hours ? hours + ":" + pad(minutes, 2) + ":" + pad(seconds, 2) : minutes + ":" + pad(seconds, 2);
    return sign + text + (withMs ? "." + pad(ms, 3) : "");
  }
  function formatScore(value) {
    if (Object.prototype.hasOwnProperty.call(TIME_UNITS, unit)) return clock(value * TIME_UNITS[unit], unit === "ms");
    const number = value.toLocaleString("en-US");
    return unit ? number + " " + unit : number;
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = String(text);
    if (className) td.className = className;
    return td;
  }

  function showCounts(message) {
    players.textContent = String(message.players);
    connections.textContent = String(message.connections);
  }

  function showBoard(entries) {
    const rows = entries.map(function (entry) {
      const tr = document.createElement("tr");
      tr.append(cell(entry.rank), cell(entry.user.username), cell(formatScore(entry.value), "value"));
      return tr;
    });
    if (!rows.length) {
      const tr = document.createElement("tr");
      tr.className = "empty";
      const td = cell("No scores yet.");
      td.colSpan = 3;
      tr.append(td);
      rows.push(tr);
    }
    board.replaceChildren.apply(board, rows);
  }

  // "ada scored 1:08.772 — new best: rank 3", or, when the score did not
  // beat the player's best, "ada scored 1:12.000 — best stays 1:08.772, rank 3".
  // On a sum board "ada added 5 — total 120, rank 3"; on a latest board
  // "ada scored 40 — rank 3".
  function showScore(message) {
    const value = message.score.value;
    const previous = message.previousBest;
    const hasPrevious = previous !== null && previous !== undefined;
    let who = message.score.user.username + " scored " + formatScore(value);
    let what = "new best: rank " + message.rank;
    if (operator === "sum") {
      who = message.score.user.username + " added " + formatScore(value);
      what = "total " + formatScore((hasPrevious ? previous : 0) + value) + ", rank " + message.rank;
    } else if (operator === "latest") {
      what = "rank " + message.rank;
    } else if (!message.personalBest && hasPrevious) {
      what = "best stays " + formatScore(previous) + ", rank " + message.rank;
    }
    latest.textContent = who + " \u2014 " + what;
    latest.hidden = false;
  }

  window.PodiumSocket.connect(
    "/ws/games/" + encodeURIComponent(slug) + "/?board=" + encodeURIComponent(boardKey),
    function (message) {
      if (message.type === "snapshot") {
        showCounts(message);
        showBoard(message.leaderboard);
      } else if (message.type === "player_count") {
        showCounts(message);
      } else if (message.type === "leaderboard") {
        showBoard(message.leaderboard);
      } else if (message.type === "score" && message.board === boardKey) {
        showScore(message);
      }
    },
    { permanentCloseCodes: [4404] }
  );
})();
