"""The page's language for browsers and screen readers, and Streamlit's own words in it (issue 26).

Streamlit serves one ``index.html`` with ``<html lang="en">`` and draws its built-in controls (the skip
link, the file uploader, the grid's toolbar and column menu, the number input's buttons, the help icons ...)
with English words it has no setting for. Once per run the router emits a small script that sets
``document.documentElement.lang`` to the UI's language and keeps those words in it: a MutationObserver
rewrites the text and the ``aria-label``/``title``/``placeholder``/``aria-roledescription`` (a chart's
"visualization") of Streamlit's own elements, by exact phrase, from the ``streamlit.*`` keys of the
catalogues. Text the app writes (Markdown, headings, ``st.text``, alerts) is never touched.
"""

import json
import re
from typing import Final

import streamlit as st
from babel.numbers import get_decimal_symbol

from spendscore_ui.catalogues import streamlit_en
from spendscore_ui.i18n import CATALOGUES, babel_locale, current_locale

_PLACEHOLDER: Final = re.compile(r"\{(\w+)\}")

_SCRIPT: Final = """<script>
(() => {
  const config = %(config)s;
  document.documentElement.lang = config.lang;
  const state = window.spendscoreWords || (window.spendscoreWords = {});
  state.rules = config.rules.map(([pattern, replacement]) => [new RegExp(pattern), replacement]);
  if (state.observer) { state.fix(document.body); return; }
  const ATTRIBUTES = ["aria-label", "title", "placeholder", "aria-roledescription"];
  // The app's own text (Markdown, headings, st.text, alerts, code, the options of a list) is the user's
  // or the catalogues': never rewritten. (Buttons draw their labels as Markdown too: those are checked.)
  const OWN_TEXT = '[data-testid="stMarkdown"], [data-testid="stHeading"], [data-testid="stText"], '
    + '[data-testid="stAlert"], [data-testid="stToast"], [data-testid="stCode"], [role="option"], '
    + '[contenteditable]';
  const swap = (text) => state.rules.reduce(
    (current, [pattern, replacement]) => current.replace(pattern, replacement), text);
  const fixText = (node) => {
    const text = node.nodeValue;
    if (!text || !text.trim() || (node.parentElement && node.parentElement.closest(OWN_TEXT))) return;
    const swapped = swap(text);
    if (swapped !== text) node.nodeValue = swapped;
  };
  const fixAttributes = (element) => {
    for (const name of ATTRIBUTES) {
      const value = element.getAttribute(name);
      if (value) {
        const swapped = swap(value);
        if (swapped !== value) element.setAttribute(name, swapped);
      }
    }
  };
  state.fix = (root) => {
    if (!root) return;
    if (root.nodeType === Node.TEXT_NODE) { fixText(root); return; }
    if (root.nodeType !== Node.ELEMENT_NODE) return;
    fixAttributes(root);
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.nodeType === Node.TEXT_NODE) fixText(node); else fixAttributes(node);
    }
  };
  state.observer = new MutationObserver((mutations) => {
    for (const mutation of mutations) {
      if (mutation.type === "childList") mutation.addedNodes.forEach(state.fix);
      else if (mutation.type === "characterData") fixText(mutation.target);
      else fixAttributes(mutation.target);
    }
  });
  state.observer.observe(document.documentElement, {
    subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ATTRIBUTES,
  });
  state.fix(document.body);
})();
</script>"""


def _rule(english: str, translated: str) -> tuple[str, str]:
    """A JavaScript regular expression for Streamlit's whole phrase and its replacement (``$1`` ...)."""
    names = _PLACEHOLDER.findall(english)
    pattern = "^" + "(.+?)".join(re.escape(part) for part in _PLACEHOLDER.split(english)[::2]) + "$"
    replacement = _PLACEHOLDER.sub(lambda match: f"${names.index(match.group(1)) + 1}", translated)
    return pattern, replacement


def word_rules(locale: str) -> list[tuple[str, str]]:
    """Streamlit's English phrases and what replaces them in ``locale`` (none in English but sizes),
    applied in order: the sizes last, so that they also apply inside a translated phrase."""
    rules = []
    if locale != "en":
        catalogue = CATALOGUES[locale]
        rules = [_rule(english, catalogue[key]) for key, english in streamlit_en.MESSAGES.items()]
    # The uploader's sizes ("243.0B", "5MB") with the locale's decimal mark and a space before the unit.
    decimal_mark = get_decimal_symbol(babel_locale(locale))
    rules.append((r"^(\d+)\.(\d+)(B|KB|MB|GB)$", f"$1{decimal_mark}$2 $3"))
    rules.append((r"^(\d+)(B|KB|MB|GB)( .+)?$", "$1 $2$3"))
    return rules


def page_language_script(locale: str) -> str:
    config = {"lang": locale, "rules": word_rules(locale)}
    # "</" cannot end the script early: json escapes no slash, so break any closing tag.
    return _SCRIPT % {"config": json.dumps(config, ensure_ascii=False).replace("</", "<\\/")}


def emit_page_language() -> None:
    """Set the page's ``lang`` and Streamlit's own words to the UI's language. Called once per run."""
    st.html(page_language_script(current_locale()), unsafe_allow_javascript=True)
