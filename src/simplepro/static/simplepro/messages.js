// A conversation page: "… is typing" both ways, and the newest message in view.
(function () {
  var thread = document.querySelector("[data-conversation]");
  if (!thread) return;
  var id = thread.dataset.conversation, lastSent = 0, hide = null;
  var box = document.getElementById("compose-body"), typing = document.getElementById("typing");

  function scrollDown() {
    var list = document.getElementById("message-list");
    if (list) list.scrollTop = list.scrollHeight;
  }
  if (box) box.addEventListener("input", function () {
    if (Date.now() - lastSent < 3000 || !window.SimpleProLive) return;
    lastSent = Date.now();
    window.SimpleProLive.send({type: "typing", conversation: id});
  });
  document.addEventListener("simplepro:signal", function (event) {
    var frame = event.detail;
    if (frame.kind !== "typing" || frame.data.conversation_id !== id || !typing) return;
    typing.textContent = frame.data.name + " is typing…";
    typing.hidden = false;
    clearTimeout(hide);
    hide = setTimeout(function () { typing.hidden = true; }, 5000);
  });
  document.addEventListener("simplepro:refreshed", function () { if (typing) typing.hidden = true; scrollDown(); });
  scrollDown();
})();
