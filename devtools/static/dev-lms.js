// The demo LMS posts the signed launch back at once, as an LMS does; without JavaScript its button does.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosubmit]");
  if (form) form.submit();
})();
