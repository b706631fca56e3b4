// Upvotes in place: intercepts the vote forms (class "vote"), POSTs them with fetch and
// Accept: application/json, then updates the count, the button's pressed state and its
// text. On any error (network, 4xx/5xx, a redirect to the log-in page, an answer that is
// not JSON) it submits the plain form instead, which works without this script.
(function () {
  "use strict";

  function update(form, data) {
    var voted = data.voted === true;
    var count = Number(data.count);
    var action = form.querySelector('input[name="action"]');
    var button = form.querySelector("button");
    var text = form.querySelector(".vote-text");
    var tally = form.querySelector(".vote-count");
    var label = form.querySelector(".vote-label");
    if (action) action.value = voted ? "unvote" : "up";
    if (button) button.setAttribute("aria-pressed", voted ? "true" : "false");
    if (text) text.textContent = voted ? "Unvote" : "Upvote";
    if (tally) tally.textContent = String(count);
    if (label) label.textContent = count === 1 ? "vote" : "votes";
  }

  function fallback(form) {
    form.dataset.plain = "1";
    form.submit();
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote")) return;
    if (form.dataset.plain === "1" || !window.fetch || !window.FormData) return;
    event.preventDefault();
    if (form.dataset.busy === "1") return;
    form.dataset.busy = "1";
    form.setAttribute("aria-busy", "true");
    // form.action would be the input named "action": read the attribute.
    fetch(form.getAttribute("action") || "", {
      method: "POST",
      body: new URLSearchParams(new FormData(form)),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
      redirect: "follow"
    }).then(function (response) {
      var type = response.headers.get("content-type") || "";
      if (!response.ok || type.indexOf("application/json") === -1) throw new Error("vote");
      return response.json();
    }).then(function (data) {
      if (typeof data.count !== "number") throw new Error("vote");
      update(form, data);
      form.dataset.busy = "";
      form.removeAttribute("aria-busy");
    }).catch(function () {
      fallback(form);
    });
  });
})();
