/*
 * Accessibility repairs of the theme's markup, found by axe-core in
 * tests/test_site.py (each would be a "serious" or "critical" violation):
 *
 * - the search buttons that say "Search Ctrl+K" are labelled "Search": a voice
 *   user saying what they see would not find them (label-content-name-mismatch),
 *   so their visible text is their name; and the colour-mode button's icons carry
 *   titles ("Light", "Dark") that do not match its label, so they are marked
 *   decorative;
 * - the bibliography's citation list has role="list" while its entries are
 *   citations, not list items (aria-required-children).
 */
(function () {
  "use strict";
  function decorative(button) {
    button.querySelectorAll("i[title], svg").forEach((icon) => {
      icon.removeAttribute("title");
      icon.querySelectorAll("title").forEach((t) => t.remove());
      if (icon.getAttribute("aria-hidden") !== "true") icon.setAttribute("aria-hidden", "true");
    });
  }

  function repair() {
    document.querySelectorAll("button.search-button__button[aria-label]").forEach((b) => {
      if (b.textContent.trim()) b.removeAttribute("aria-label");
    });
    document.querySelectorAll("button.theme-switch-button").forEach((button) => {
      decorative(button);
      // Font Awesome's script swaps each <i title> for an <svg> with a <title>, at any time.
      new MutationObserver(() => decorative(button)).observe(button, { childList: true, subtree: true });
    });
    document.querySelectorAll('.citation-list[role="list"]').forEach((l) => l.removeAttribute("role"));
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", repair);
  else repair();
})();
