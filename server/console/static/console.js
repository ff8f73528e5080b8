// The console's only script (the CSP allows no inline one): "select all" boxes.
// A checkbox with data-select-all="NAME" checks or clears every box named NAME in its form.
document.addEventListener("change", function (event) {
  var box = event.target;
  var name = box.getAttribute && box.getAttribute("data-select-all");
  if (!name || !box.form) { return; }
  box.form.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (each) {
    each.checked = box.checked;
  });
});
