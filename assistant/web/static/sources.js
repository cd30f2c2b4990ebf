element.addEventListener('click', (ev) => {
  const b = ev.target.closest('[data-key]');
  if (!b || !element.contains(b)) return;
  element.querySelectorAll('[data-key]').forEach((x) => x.classList.toggle('ba-active', x === b));
  window.__baScrollViewer = true;
  trigger('click', {key: b.dataset.key, turn: b.dataset.turn ?? null});
});
watch('value', () => {
  const p = window.__baPendingCite;
  if (!p) return;
  const panel = element.querySelector('.ba-sources-panel');
  if (!panel || panel.dataset.turn !== p.turn) return;
  window.__baPendingCite = null;
  const b = element.querySelector(`[data-key="c${p.n}"]`);
  if (b) b.click();
});
