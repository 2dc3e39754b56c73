// Keeps /games/{slug}/live/ current. Everything from the server is shown with
// textContent, never parsed as HTML: usernames and game names are untrusted.
"use strict";

(function () {
  const root = document.getElementById("live");
  if (!root) return;
  const slug = root.dataset.slug;
  const players = document.getElementById("players");
  const connections = document.getElementById("connections");
  const board = document.getElementById("leaderboard");
  const latest = document.getElementById("latest");

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
      tr.append(cell(entry.rank), cell(entry.user.username), cell(entry.value, "value"));
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

  function showScore(message) {
    latest.textContent =
      message.score.user.username + " scored " + message.score.value + " (rank " + message.rank + ")";
    latest.hidden = false;
  }

  window.PodiumSocket.connect(
    "/ws/games/" + encodeURIComponent(slug) + "/",
    function (message) {
      if (message.type === "snapshot") {
        showCounts(message);
        showBoard(message.leaderboard);
      } else if (message.type === "player_count") {
        showCounts(message);
      } else if (message.type === "leaderboard") {
        showBoard(message.leaderboard);
      } else if (message.type === "score") {
        showScore(message);
      }
    },
    { permanentCloseCodes: [4404] }
  );
})();
