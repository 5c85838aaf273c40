// The campaign's unit picker (served from /static, so the page's CSP allows it): the
// "đã chọn" count and each kind's "n/N" follow the boxes as they are ticked, before the form
// is saved. The server still counts what it stores; this only keeps the figures honest.
(function () {
  'use strict';
  function recount(form) {
    var boxes = form.querySelectorAll('input[type=checkbox][name=unit_id]');
    var chosen = 0;
    boxes.forEach(function (box) { if (box.checked) { chosen += 1; } });
    var total = form.querySelector('.chosen-count');
    if (total) { total.textContent = String(chosen); }
    form.querySelectorAll('details.kind').forEach(function (section) {
      var mine = section.querySelectorAll('input[type=checkbox][name=unit_id]');
      var ticked = 0;
      mine.forEach(function (box) { if (box.checked) { ticked += 1; } });
      var count = section.querySelector('.kind-count');
      if (count) { count.textContent = String(ticked); }
    });
  }
  document.addEventListener('change', function (event) {
    var form = event.target.closest && event.target.closest('form.unit-picker');
    if (form) { recount(form); }
  });
})();
