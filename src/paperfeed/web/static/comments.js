// Comments, progressively enhanced: a comment or reply form posts in the background and
// the new comment appears in place (the server renders its HTML). Without this script,
// or when anything goes wrong, the form posts as usual and the page reloads.
(function () {
  "use strict";

  function showError(form, message) {
    var box = form.querySelector(".form-error");
    if (!box) {
      box = document.createElement("p");
      box.className = "form-error";
      box.setAttribute("role", "alert");
      form.insertBefore(box, form.querySelector("button"));
    }
    box.textContent = message;
  }

  function place(list, html, parentId) {
    var holder = document.createElement("div");
    holder.innerHTML = html; // server-rendered and sanitised, same as the page
    var node = holder.firstElementChild;
    if (!node) return null;
    var parent = parentId ? document.getElementById("comment-" + parentId) : null;
    if (parent && parent.parentNode === list) {
      var depth = Number(parent.getAttribute("data-depth"));
      var next = parent.nextElementSibling;
      while (next && Number(next.getAttribute("data-depth")) > depth) {
        next = next.nextElementSibling;
      }
      list.insertBefore(node, next);
    } else {
      list.appendChild(node);
    }
    return node;
  }

  function submit(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("comment-form")) return;
    var list = document.querySelector("#comments .comment-list");
    if (!list || !window.fetch || !window.FormData) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    var data = new FormData(form);
    fetch(form.action, {
      method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
      headers: { "Accept": "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (button) button.disabled = false;
      if (!result.ok || !result.body.html) {
        showError(form, result.body.error || result.body.message || "Could not post; try again.");
        return;
      }
      var node = place(list, result.body.html, result.body.parent_id);
      var empty = document.querySelector("#comments .no-comments");
      if (empty) empty.remove();
      form.reset();
      var error = form.querySelector(".form-error");
      if (error) error.remove();
      var details = form.closest("details");
      if (details) details.open = false;
      if (node) {
        node.classList.add("just-posted");
        node.setAttribute("tabindex", "-1");
        node.focus();
      }
    }).catch(function () {
      if (button) button.disabled = false;
      form.submit(); // fall back to a plain post
    });
  }

  document.addEventListener("submit", submit);
}());
