// The consent form (clients/consent_form.html): ticking or clearing the criminal-justice box
// puts in the matching standard revocation terms, from <script type="application/json"
// id="revocation-terms">, unless the text was changed by hand. Without JavaScript the server
// refuses terms of the other kind and fills the right ones in (clients.forms.ConsentForm).
(function () {
  "use strict";
  var source = document.getElementById("revocation-terms");
  var box = document.getElementById("id_criminal_justice");
  var terms = document.getElementById("id_revocation_terms");
  if (!source || !box || !terms) {
    return;
  }
  var standard = JSON.parse(source.textContent);
  box.addEventListener("change", function () {
    var from = box.checked ? standard.ordinary : standard.criminal_justice;
    if (terms.value.trim() === from || terms.value.trim() === "") {
      terms.value = box.checked ? standard.criminal_justice : standard.ordinary;
    }
  });
})();
