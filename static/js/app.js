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
  // "Keep my choice" closes a student's inline choice prompt and returns focus to its button.
  function closeChoicePrompt(prompt) {
    var slot = prompt && prompt.closest(".choice-slot");
    if (!slot) return false; // the prompt is its own page: follow the link
    var opener = document.getElementById(slot.id.replace("prompt-", "choose-"));
    slot.innerHTML = "";
    if (opener) opener.focus();
    return true;
  }
  document.addEventListener("click", function (event) {
    var keep = event.target.closest("[data-keep-choice]");
    if (keep && closeChoicePrompt(keep.closest("[data-prompt]"))) event.preventDefault();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") closeChoicePrompt(document.querySelector(".choice-slot [data-prompt]"));
  });
  // The Courses instructor type-ahead: Down from the name field moves into its matches, Up and Down
  // move between them, Escape returns to the field. The matches are links, so Tab works without this.
  document.addEventListener("keydown", function (event) {
    var field = document.getElementById("filter-instructor-name");
    var list = document.getElementById("instructor-matches");
    if (!field || !list) return;
    var links = Array.prototype.slice.call(list.querySelectorAll("a"));
    var at = links.indexOf(document.activeElement);
    if (event.target !== field && at < 0) return;
    var next = null;
    if (event.key === "ArrowDown" && links.length) next = links[Math.min(at + 1, links.length - 1)];
    else if (event.key === "ArrowUp" && at >= 0) next = at === 0 ? field : links[at - 1];
    else if (event.key === "Escape" && at >= 0) next = field;
    if (!next) return;
    event.preventDefault();
    next.focus();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var prompt = document.querySelector("#cancel-prompt [data-prompt]");
    if (prompt) closePrompt(prompt);
  });
  // A Required/Recommended select saves on change through htmx, so its Save button (for pages without
  // JavaScript) goes, on the page and in every fragment htmx swaps in. Without htmx it stays.
  function dropSaveButtons(root) {
    if (!window.htmx || !root.querySelectorAll) return;
    var buttons = root.querySelectorAll("[data-save-without-js]");
    for (var i = 0; i < buttons.length; i++) buttons[i].remove();
  }
  dropSaveButtons(document);
  document.addEventListener("htmx:load", function (event) { dropSaveButtons(event.target); });
})();
// The header menu and the back office's menu: wide screens show their links anyway (CSS); opening them there
// also tells assistive technology they are shown (and opens them where CSS cannot). Phones keep them closed until asked.
(function () {
  "use strict";
  if (!window.matchMedia) return;
  function follow(selector, query) {
    var menu = document.querySelector(selector);
    if (!menu) return;
    var wide = window.matchMedia(query);
    function update() { menu.open = wide.matches; }
    update();
    if (wide.addEventListener) wide.addEventListener("change", update);
  }
  follow(".site-menu", "(min-width: 40.0625rem)");
  follow(".admin-menu", "(min-width: 56.0625rem)");
})();
