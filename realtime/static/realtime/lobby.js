// Keeps the player counts of /games/ current over ws/lobby/.
"use strict";

(function () {
  if (!document.getElementById("lobby")) return;

  function show(slug, players, connections) {
    const rows = document.querySelectorAll("tr[data-game]");
    for (const row of rows) {
      if (row.dataset.game !== slug) continue;
      row.querySelector(".players").textContent = String(players);
      row.querySelector(".connections").textContent = String(connections);
    }
  }

  window.PodiumSocket.connect("/ws/lobby/", function (message) {
    if (message.type === "lobby") {
      message.games.forEach(function (entry) {
        show(entry.game, entry.players, entry.connections);
      });
    } else if (message.type === "player_count") {
      show(message.game, message.players, message.connections);
    }
  });
})();
