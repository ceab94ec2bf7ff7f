/*
 * Kernel-free explorers for the static book site.
 *
 * A chapter page carries each explorer's controls and first picture (written by
 * course_lib.widgets.site.explorer_html into the notebook's output). When the
 * reader first touches a control, this script loads the explorer's manifest,
 * written by `python -m course_lib.widgets.site` at build time:
 *
 *   explorers/<name>/manifest.json  controls, grid sizes, and per combination of
 *                                   control values: its frame, its inactive controls
 *   explorers/<name>/f<n>.png       frame n: the whole picture, or, when the manifest
 *                                   has `background`, the pixels that differ from
 *   explorers/<name>/b<k>.png       background k (drawn under it)
 *
 * Each change shows the precomputed frame of the new combination (a control
 * snaps to its grid), disables the controls that have no effect there (with the
 * reason), and prefetches the frames one step away on every control.
 */
(function () {
  "use strict";

  // This file is _static/explorer.js; the assets sit in explorers/ beside _static/.
  const BASE = new URL("../explorers/", document.currentScript.src);

  function setup(figure) {
    const root = new URL(figure.dataset.explorer + "/", BASE);
    const inputs = new Map();
    figure.querySelectorAll("[data-control]").forEach((el) => inputs.set(el.dataset.control, el));
    const frame = figure.querySelector("img.ce-frame");
    const status = figure.querySelector(".ce-status");
    let overlay = null;
    let manifest = null;
    let loading = null;
    let shown = 0; // the latest change wins when several are in flight
    const images = new Map(); // url -> Promise of a decoded image

    function load() {
      if (!loading) {
        loading = fetch(new URL("manifest.json", root))
          .then((r) => {
            if (!r.ok) throw new Error(`manifest.json: HTTP ${r.status}`);
            return r.json();
          })
          .then((m) => (manifest = m));
        loading.catch(fail);
      }
      return loading;
    }

    function fail(error) {
      status.textContent = `This explorer's pictures could not be loaded (${error.message}).`;
      figure.classList.add("ce-failed");
    }

    function position(el) {
      if (el.type === "checkbox") return el.checked ? 1 : 0;
      return Number(el.value);
    }

    function values(el) {
      return JSON.parse(el.dataset.values);
    }

    function index(positions) {
      let k = 0;
      manifest.controls.forEach((name, i) => (k = k * manifest.sizes[i] + positions[i]));
      return k;
    }

    function urls(n) {
      const list = [new URL(`f${n}.png`, root).href];
      if (manifest.background) list.unshift(new URL(`b${manifest.background[n]}.png`, root).href);
      return list;
    }

    function image(url) {
      if (!images.has(url)) {
        const img = new Image();
        img.src = url;
        images.set(url, img.decode().then(() => img));
      }
      return images.get(url);
    }

    function readout(el) {
      const label = values(el)[position(el)];
      if (el.type === "range") {
        el.setAttribute("aria-valuetext", label);
        const out = figure.querySelector(`output[for="${el.id}"]`);
        if (out) out.textContent = label;
      }
    }

    function describe() {
      const settings = [...inputs.values()].map((el) => {
        const label = figure.querySelector(`label[for="${el.id}"]`).textContent;
        return `${label} ${values(el)[position(el)]}`;
      });
      return `${figure.dataset.title || "Explorer"}, at ${settings.join(", ")}`;
    }

    function markInactive(reasons) {
      inputs.forEach((el, name) => {
        const reason = reasons[name];
        const box = el.closest(".ce-control");
        el.disabled = Boolean(reason);
        box.classList.toggle("ce-inactive", Boolean(reason));
        if (reason) box.title = reason;
        else box.removeAttribute("title");
        box.querySelector(".ce-reason").textContent = reason || "";
      });
    }

    function prefetch(positions) {
      manifest.controls.forEach((name, i) => {
        for (const step of [-1, 1]) {
          const p = positions.slice();
          p[i] += step;
          if (p[i] >= 0 && p[i] < manifest.sizes[i]) urls(manifest.frame[index(p)]).forEach(image);
        }
      });
    }

    async function update() {
      const token = ++shown;
      const m = await load();
      const positions = m.controls.map((name) => position(inputs.get(name)));
      const k = index(positions);
      markInactive(m.reasons[m.inactive[k]]);
      const n = m.frame[k];
      const list = urls(n);
      await Promise.all(list.map(image));
      if (token !== shown) return;
      if (m.background) {
        if (!overlay) {
          overlay = document.createElement("img");
          overlay.className = "ce-overlay";
          overlay.alt = "";
          frame.after(overlay);
        }
        frame.src = list[0];
        overlay.src = list[1];
      } else {
        frame.src = list[0];
      }
      frame.alt = describe();
      figure.dataset.frame = String(n);
      figure.dispatchEvent(new CustomEvent("ce-frame", { detail: { frame: n } }));
      prefetch(positions);
    }

    function changed(event) {
      readout(event.target);
      update().catch(fail);
    }

    inputs.forEach((el) => {
      el.addEventListener(el.type === "range" ? "input" : "change", changed);
    });
    // Lazy: nothing is fetched until the reader reaches for a control.
    const warm = () =>
      load().then(() => {
        const positions = manifest.controls.map((n) => position(inputs.get(n)));
        if (!figure.dataset.frame) figure.dataset.frame = String(manifest.frame[index(positions)]);
        prefetch(positions);
      }, fail);
    figure.addEventListener("focusin", warm, { once: true });
    figure.addEventListener("pointerdown", warm, { once: true });
    figure.classList.add("ce-ready");
  }

  function start() {
    document.querySelectorAll("figure.course-explorer").forEach(setup);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
