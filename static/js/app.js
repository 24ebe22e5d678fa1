// Small progressive enhancements on top of htmx. Every flow works without this file.
(function () {
  "use strict";
  // "Keep order" closes the inline prompt and returns focus to the button that opened it.
  function closePrompt(prompt) {
    var slot = prompt.closest("#cancel-prompt");
    if (!slot) return false; // the prompt is its own page: follow the link
    slot.innerHTML = "";
    var opener = document.getElementById("cancel-order-button");
    if (opener) opener.focus();
    return true;
  }
  document.addEventListener("click", function (event) {
    var keep = event.target.closest("[data-keep-order]");
    if (keep && closePrompt(keep.closest("[data-prompt]"))) event.preventDefault();
  });
  // A select whose options were swapped out of band (the Courses Instructor filter follows the Term)
  // shows the option the server marked selected; the browser would keep the last one inserted.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var select = event.detail && event.detail.target;
    if (!select || select.tagName !== "SELECT") return;
    var chosen = select.querySelector("option[selected]");
    select.value = chosen ? chosen.value : "";
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var prompt = document.querySelector("#cancel-prompt [data-prompt]");
    if (prompt) closePrompt(prompt);
  });
})();
