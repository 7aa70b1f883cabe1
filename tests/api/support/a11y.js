// An accessibility check of the page as shown (run by the browser journeys at each
// screenshot): the page's language and one heading, a label for every field, a focus style,
// colour contrast (WCAG 2.1 AA), and no sideways scrolling on a phone. Returns the problems.
const problems = [];
if (!document.documentElement.lang) problems.push("the page has no lang");
const headings = document.querySelectorAll("h1").length;
if (headings !== 1) problems.push(`${headings} h1 headings`);
for (const field of document.querySelectorAll("input, select, textarea")) {
  if (["hidden", "submit", "button"].includes(field.type)) continue;
  const labelled = (field.labels && field.labels.length > 0)
    || field.getAttribute("aria-label") || field.getAttribute("aria-labelledby");
  if (!labelled) problems.push(`field ${field.name || field.id} has no label`);
}
let focusStyle = false;
for (const sheet of document.styleSheets) {
  for (const rule of sheet.cssRules) {
    if (rule.selectorText && rule.selectorText.includes(":focus-visible")
        && rule.style.outlineStyle && rule.style.outlineStyle !== "none") focusStyle = true;
  }
}
if (!focusStyle) problems.push("no visible focus style");
const channels = (text) => (text.match(/[\d.]+/g) || []).map(Number);
const luminance = ([r, g, b]) => {
  const linear = [r, g, b].map((v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  });
  return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2];
};
const background = (element) => {
  for (let at = element; at; at = at.parentElement) {
    const colour = channels(getComputedStyle(at).backgroundColor);
    if (colour.length === 3 || colour[3] > 0) return colour;
  }
  return [255, 255, 255];
};
for (const element of document.body.querySelectorAll("*")) {
  if (element.closest("svg") || element.getClientRects().length === 0) continue;
  const ownText = [...element.childNodes]
    .some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
  if (!ownText) continue;
  const style = getComputedStyle(element);
  const [l1, l2] = [luminance(channels(style.color)), luminance(background(element))];
  const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  if (ratio < (large ? 3 : 4.5)) {
    problems.push(`contrast ${ratio.toFixed(2)} on "${element.textContent.trim().slice(0, 30)}"`);
  }
}
if (window.innerWidth <= 400 && document.documentElement.scrollWidth > window.innerWidth + 1) {
  problems.push(`${document.documentElement.scrollWidth} px wide on a ${window.innerWidth} px screen`);
}
return problems;
