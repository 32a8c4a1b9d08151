// Small DOM helpers: elements are built with createElement and text nodes, never from HTML strings,
// so nothing the server sends can inject markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

// The page's first screen leaves focus where the browser put it, so a keyboard user's first Tab
// still reaches the skip link; later screens replace the page's content, so focus follows them.
let firstScreen = true;

/** Replaces the main region with a screen and moves focus to its heading (for screen readers). */
export function show(...children) {
  const main = document.getElementById("main");
  main.replaceChildren();
  append(main, children);
  const heading = main.querySelector("h1");
  const moveFocus = !firstScreen;
  firstScreen = false;
  if (heading && moveFocus) {
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
}

/** A message for the polite live region. */
export function announce(text) {
  const status = document.getElementById("status");
  status.textContent = "";
  setTimeout(() => { status.textContent = text; }, 50);
}
