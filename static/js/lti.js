// The LTI pages' two scripts (no inline script: the CSP allows 'self' only). Each page works without it.
(function () {
  "use strict";
  // A deep-linking answer goes back to the LMS at once; without JavaScript its button does the same.
  var form = document.querySelector("form[data-lti-autosubmit]");
  if (form) form.submit();
  // Dynamic Registration is done: tell the LMS, which closes its registration window.
  if (document.querySelector("[data-lti-registered]")) {
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
