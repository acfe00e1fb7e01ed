// The signing page: a drawing pad, and posting in the background so that a phone without
// signal says so and keeps the signature on screen. Nothing is stored on the phone: without a
// connection the code cannot reach the customer, so there is no signature to keep (see
// docs/signatures.md, "Signing without a network").
(function () {
  "use strict";
  const pad = document.getElementById("signature-pad");
  const drawing = document.getElementById("sign-drawing");
  const status = document.getElementById("sign-status");
  document.querySelectorAll("[data-needs-script]").forEach((el) => { el.hidden = false; });

  function chosenMethod() {
    const checked = document.querySelector('input[name="method"]:checked');
    return checked ? checked.value : "typed";
  }
  function showMethod() {
    const method = chosenMethod();
    document.querySelectorAll("[data-method]").forEach((el) => { el.hidden = el.dataset.method !== method; });
    const typed = document.getElementById("sign-typed");
    if (typed) typed.required = method === "typed";
  }
  document.querySelectorAll('input[name="method"]').forEach((r) => r.addEventListener("change", showMethod));
  showMethod();

  let inked = false;
  if (pad) {
    const ctx = pad.getContext("2d");
    ctx.lineWidth = 3; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    let last = null;
    const at = (e) => {
      const box = pad.getBoundingClientRect();
      return [(e.clientX - box.left) * pad.width / box.width, (e.clientY - box.top) * pad.height / box.height];
    };
    pad.addEventListener("pointerdown", (e) => { pad.setPointerCapture(e.pointerId); last = at(e); e.preventDefault(); });
    pad.addEventListener("pointermove", (e) => {
      if (!last) return;
      const next = at(e);
      ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(next[0], next[1]); ctx.stroke();
      last = next; inked = true;
    });
    const stop = () => { last = null; };
    pad.addEventListener("pointerup", stop); pad.addEventListener("pointercancel", stop);
    document.getElementById("pad-clear").addEventListener("click", () => {
      ctx.clearRect(0, 0, pad.width, pad.height); inked = false;
    });
  }

  let out = status;
  function say(text, failed) {
    if (!out) return;
    out.textContent = text;
    out.className = failed ? "flash error" : "flash success";
  }

  document.querySelectorAll("form[data-signing]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const signing = form.id === "sign-form";
      out = signing ? status : document.getElementById("code-status");
      if (signing && chosenMethod() === "drawn") {
        if (!inked) { say("The signing pad is empty: sign in the box.", true); return; }
        drawing.value = pad.toDataURL("image/png");
      }
      const body = new FormData(form);
      if (event.submitter && event.submitter.name) body.set(event.submitter.name, event.submitter.value);
      const button = signing ? document.getElementById("sign-submit") : event.submitter;
      if (button) button.disabled = true;  // one tap, one signature
      say(signing ? "Signing…" : "Sending the code…", false);
      let response;
      try {
        response = await fetch(window.location.href, {
          method: "POST", body, credentials: "same-origin", headers: { Accept: "application/json" },
        });
      } catch (err) {
        say(signing
          ? "Not signed: this phone has no connection. Nothing was sent or kept. The signature is still on the screen: tap Sign again when there is signal, or sign on paper."
          : "The code was not sent: this phone has no connection. Try again when there is signal.", true);
        if (button) button.disabled = false;
        return;
      }
      let data = {};
      try { data = await response.json(); } catch (err) { data = { error: "Unexpected answer (" + response.status + "). Try again." }; }
      if (!response.ok) {
        say(data.error || "Not signed.", true);
        if (button) button.disabled = false;
        return;
      }
      say(data.message, false);
      if (signing) window.location.assign(data.next || window.location.href);
      else if (button) button.disabled = false;
    });
  });
})();
