// The pipeline board: drag a card to another column to move the opportunity there. The move
// goes through the same form (and state machine) as the card's own "Move" menu, which works
// without JavaScript; a lost or cancelled move asks for the reason first. A refused move
// (409, 422) leaves the card where it was and says why.
(function () {
  var board = document.getElementById("pipeline");
  if (!board) return;
  var dragged = null;

  function csrf() {
    var input = document.querySelector('input[name="csrfmiddlewaretoken"]');
    return input ? input.value : "";
  }
  function say(text) {
    var box = document.getElementById("pipeline-notice") || document.createElement("div");
    box.id = "pipeline-notice";
    box.className = "flash error";
    box.setAttribute("role", "alert");
    box.textContent = text;
    board.parentNode.insertBefore(box, board);
  }
  function reasons(status) {
    return new Promise(function (resolve) {
      var dialog = document.getElementById("close-dialog");
      var select = document.getElementById("close-reason");
      select.innerHTML = document.getElementById("reasons-" + status).innerHTML;
      dialog.returnValue = "";
      dialog.onclose = function () {
        if (dialog.returnValue !== "ok") return resolve(null);
        var form = document.getElementById("close-form");
        resolve({reason: select.value, competitor: form.competitor.value, note: form.note.value});
      };
      dialog.showModal();
    });
  }
  function move(card, status, extra) {
    var body = new URLSearchParams({status: status, csrfmiddlewaretoken: csrf()});
    Object.keys(extra || {}).forEach(function (k) { body.append(k, extra[k]); });
    return fetch("/sales/opportunities/" + card.dataset.id + "/status/", {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"HX-Request": "true", "X-CSRFToken": csrf()},
    }).then(function (response) {
      if (response.status === 204) {
        var old = document.getElementById("pipeline-notice");
        if (old) old.remove();
        htmx.trigger(board, "refresh");
        return;
      }
      return response.text().then(function (text) { say(text || "The move was refused."); });
    });
  }

  board.addEventListener("dragstart", function (event) {
    var card = event.target.closest(".deal-card");
    if (!card || card.getAttribute("draggable") !== "true") return;
    dragged = card;
    event.dataTransfer.setData("text/plain", card.dataset.id);
    event.dataTransfer.effectAllowed = "move";
    card.classList.add("dragging");
  });
  board.addEventListener("dragend", function () {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
  });
  board.addEventListener("dragover", function (event) {
    var stage = event.target.closest(".stage");
    if (!stage || !dragged) return;
    if ((dragged.dataset.allowed || "").split(" ").indexOf(stage.dataset.status) < 0) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
  });
  board.addEventListener("drop", function (event) {
    var stage = event.target.closest(".stage");
    if (!stage || !dragged) return;
    event.preventDefault();
    var card = dragged, status = stage.dataset.status;
    if (status === "lost" || status === "cancelled") {
      reasons(status).then(function (extra) { if (extra) move(card, status, extra); });
    } else {
      move(card, status);
    }
  });
})();
