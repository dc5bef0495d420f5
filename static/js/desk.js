// Behaviour the templates ask for by data attributes, so that no page holds
// inline script or event handlers: the Content-Security-Policy runs scripts
// from this origin's files only.
document.addEventListener("click", (event) => {
  const confirming = event.target.closest("[data-confirm]");
  if (confirming && !window.confirm(confirming.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (event.target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});
