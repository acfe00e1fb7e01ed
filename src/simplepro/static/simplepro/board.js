// Dispatch board: drag a job card onto another row to reassign it. The server decides; on a
// conflict its reason is shown and the card stays where it was. Each card also has a plain
// form (select + Move) for keyboards and for browsers without drag and drop.
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (!board) return;
    var token = document.querySelector('meta[name="csrf-token"]').content;
    var message = document.getElementById("board-status-message");
    var dragged = null;
    function show(text, ok) {
      message.textContent = text;
      message.className = "flash " + (ok ? "success" : "error");
    }
    document.addEventListener("dragstart", function (event) {
      var card = event.target.closest && event.target.closest(".job-card");
      if (!card) return;
      dragged = card;
      card.classList.add("dragging");
      event.dataTransfer.setData("text/plain", card.dataset.job);
      event.dataTransfer.effectAllowed = "move";
    });
    // Listeners on the document, not the table: live updates replace the table while the page
    // stays (live.js), and a card being dragged marks itself so no update replaces it mid-drag.
    document.addEventListener("dragend", function () {
      if (dragged) dragged.classList.remove("dragging");
    });
    document.addEventListener("dragover", function (event) {
      if (dragged && event.target.closest && event.target.closest("#board .cell[data-resource]")) event.preventDefault();
    });
    document.addEventListener("drop", function (event) {
      var cell = event.target.closest && event.target.closest("#board .cell[data-resource]");
      if (!cell || !dragged) return;
      event.preventDefault();
      var card = dragged;
      card.classList.remove("dragging");
      dragged = null;
      board = document.getElementById("board");
      if (cell.dataset.resource === card.dataset.resource) return;
      var body = new URLSearchParams({
        job_id: card.dataset.job,
        assignment_id: card.dataset.assignment || "",
        target_id: cell.dataset.resource,
        kind: board.dataset.kind
      });
      fetch(board.dataset.moveUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: {"X-CSRFToken": token, "Accept": "application/json",
                  "Content-Type": "application/x-www-form-urlencoded"},
        body: body
      }).then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      }).then(function (result) {
        if (!result.ok) { show(result.data.detail || "Not moved.", false); return; }
        cell.querySelector(".cards").appendChild(card);
        card.dataset.resource = cell.dataset.resource;
        card.dataset.assignment = result.data.assignment_id;
        var hidden = card.querySelector('input[name="assignment_id"]');
        if (hidden) hidden.value = result.data.assignment_id;
        show(result.data.message, true);
      }).catch(function () { show("The server did not answer; nothing was moved.", false); });
    });
  });
})();
