// Helpers both pages (the upload page, the admin console) import: one definition each.
// Everything that came from an upload or the server is set as text (textContent),
// never as HTML, and strings a stranger chose are shortened before display.

// The element with this id.
export const $ = (id) => document.getElementById(id);

// A new element: <tag class="className">text</tag>; text is set as text, never parsed.
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text != null) node.textContent = text;
  return node;
}

// At most max characters of text (an ellipsis says when some were cut): an untrusted
// string (a filename, an EXIF camera name, a server's reason) cannot fill the screen.
export function short(text, max) {
  const s = String(text == null ? '' : text);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

// A size for people: 1.5 MB (powers of 1000) by default; 1.5 MiB (powers of 1024)
// with binary, the units the console's forms take.
export function formatBytes(n, { binary = false } = {}) {
  const step = binary ? 1024 : 1000;
  const units = binary ? ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] : ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let value = Math.max(0, Number(n) || 0);
  let unit = 0;
  while (value >= step && unit < units.length - 1) { value /= step; unit += 1; }
  return `${unit === 0 || value >= 100 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}
