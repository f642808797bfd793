/* Telegram's HTML subset drawn as DOM nodes, never through innerHTML.
 *
 * Bot text arrives as Telegram HTML (<b>, <i>, <a href>, <code>, <pre>, <blockquote>, spoilers,
 * entities). This tokenizer builds elements only for the whitelisted tags and text nodes for
 * everything else, so nothing in a message can become markup or script on the page. Links
 * keep only http(s), tg, mailto and tel addresses.
 */
"use strict";

(function () {
  const TOKEN = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*(\/?)>|&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);/g;
  const NAMED = { lt: "<", gt: ">", amp: "&", quot: "\"", apos: "'", nbsp: "\u00a0" };
  const TAGS = {
    b: "strong", strong: "strong", i: "em", em: "em", u: "u", ins: "u", s: "s", strike: "s",
    del: "s", code: "code", pre: "pre", blockquote: "blockquote", a: "a", span: "span",
    "tg-spoiler": "span", "tg-emoji": "span",
  };
  const SAFE_LINK = /^(https?:\/\/|tg:\/\/|mailto:|tel:)/i;

  function decode(text) {
    return text.replace(/&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);/g, function (whole, name) {
      if (name[0] === "#") {
        const code = name[1] === "x" || name[1] === "X" ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
        try { return String.fromCodePoint(code); } catch (e) { return whole; }
      }
      return Object.prototype.hasOwnProperty.call(NAMED, name) ? NAMED[name] : whole;
    });
  }

  function attribute(attrs, name) {
    const m = new RegExp("\\b" + name + "\\s*=\\s*(\"([^\"]*)\"|'([^']*)')", "i").exec(attrs || "");
    return m ? decode(m[2] !== undefined ? m[2] : m[3]) : null;
  }

  function makeSpoiler(el) {
    el.className = "spoiler";
    el.tabIndex = 0;
    el.setAttribute("role", "button");
    el.setAttribute("aria-label", "Hidden text: press to show");
    const reveal = function () {
      el.classList.add("revealed");
      el.removeAttribute("role");
      el.removeAttribute("aria-label");
      el.removeAttribute("tabindex");
    };
    el.addEventListener("click", reveal);
    el.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); reveal(); }
    });
  }

  function open(tag, attrs) {
    const name = TAGS[tag];
    if (tag === "span" && !/class\s*=\s*["']tg-spoiler["']/i.test(attrs || "")) {
      return document.createElement("span");
    }
    const el = document.createElement(name);
    if (tag === "tg-spoiler" || tag === "span") makeSpoiler(el);
    if (tag === "a") {
      const href = attribute(attrs, "href");
      if (href && SAFE_LINK.test(href)) {
        el.href = href;
        el.target = "_blank";
        el.rel = "noopener noreferrer";
      } else {
        return document.createElement("span");
      }
    }
    if (tag === "blockquote" && /\bexpandable\b/i.test(attrs || "")) el.className = "expandable";
    return el;
  }

  /* Render `html` (Telegram's subset) into a DocumentFragment. */
  function renderTelegramHtml(html) {
    const root = document.createDocumentFragment();
    const stack = [{ tag: null, el: root }];
    let last = 0;
    const top = function () { return stack[stack.length - 1].el; };
    const text = function (s) { if (s) top().appendChild(document.createTextNode(s)); };
    TOKEN.lastIndex = 0;
    let m;
    while ((m = TOKEN.exec(html)) !== null) {
      text(html.slice(last, m.index));
      last = TOKEN.lastIndex;
      if (m[5] !== undefined) { text(decode(m[0])); continue; }
      const closing = m[1] === "/";
      const tag = m[2].toLowerCase();
      if (!Object.prototype.hasOwnProperty.call(TAGS, tag)) { text(m[0]); continue; }
      if (closing) {
        for (let i = stack.length - 1; i > 0; i--) {
          if (stack[i].tag === tag) { stack.length = i; break; }
        }
        continue;
      }
      if (m[4] === "/") continue;
      const el = open(tag, m[3]);
      top().appendChild(el);
      stack.push({ tag: tag, el: el });
    }
    text(html.slice(last));
    return root;
  }

  window.renderTelegramHtml = renderTelegramHtml;
})();
