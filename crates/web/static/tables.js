// Sortable and filterable tables (the results ranking): a click on a header with data-sort
// sorts its column (again: the other way); a search box with data-table filters the rows by
// their text, ignoring Vietnamese marks. Numbers are read with the decimal comma.
(function () {
  "use strict";
  function fold(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/đ/g, "d").replace(/Đ/g, "D").toLowerCase();
  }
  function number(text) {
    var cleaned = text.replace(/[▲+=\s]/g, "").replace("▼", "-").replace(/\./g, "").replace(",", ".");
    var match = cleaned.match(/^-?\d+(\.\d+)?/);
    return match ? parseFloat(match[0]) : NaN;
  }
  document.querySelectorAll("table th[data-sort]").forEach(function (th) {
    th.style.cursor = "pointer";
    th.setAttribute("tabindex", "0");
    th.setAttribute("aria-sort", "none");
    function sort() {
      var table = th.closest("table");
      var body = table.tBodies[0];
      var column = Array.prototype.indexOf.call(th.parentNode.children, th);
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th[data-sort]").forEach(function (other) { other.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var numeric = th.getAttribute("data-sort") === "num";
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column] ? a.cells[column].textContent : "";
        var y = b.cells[column] ? b.cells[column].textContent : "";
        var order;
        if (numeric) {
          var nx = number(x), ny = number(y);
          if (isNaN(nx)) { nx = -Infinity; }
          if (isNaN(ny)) { ny = -Infinity; }
          order = nx - ny;
        } else {
          order = fold(x).localeCompare(fold(y), "vi");
        }
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (event) { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); } });
  });
  document.querySelectorAll("input.table-filter").forEach(function (input) {
    var table = document.getElementById(input.getAttribute("data-table"));
    if (!table) { return; }
    input.addEventListener("input", function () {
      var wanted = fold(input.value.trim());
      Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
        row.hidden = wanted !== "" && fold(row.textContent).indexOf(wanted) < 0;
      });
    });
  });
})();
