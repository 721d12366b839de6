"""The few style rules that bring Streamlit's defaults to WCAG AA (issue 26): readable grey text, a focus
ring everyone can see, controls that do not hide until hovered, a phone menu opener big enough to tap,
section headings one level under the page's title, and the roles of a few things Streamlit draws."""

from typing import Final

import streamlit as st

# Streamlit draws captions at 60% opacity and other "faded" text in light greys (2.7-3.9:1 on white and
# on the sidebar's grey); #595959 at full opacity is 7:1 on white and 6.3:1 on the sidebar.
READABLE_GREY: Final = "#595959"
FOCUS_RING: Final = "#1a56db"

PAGE_STYLE: Final = f"""<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] [data-testid="stMarkdownContainer"] small,
[data-testid="stMetricLabel"], [data-testid="stMetricDelta"],
[data-testid="stFileUploaderDropzoneInstructions"], [data-testid="stFileUploaderFileData"] small {{
  color: {READABLE_GREY} !important;
  opacity: 1 !important;
}}
input::placeholder, textarea::placeholder {{ color: {READABLE_GREY} !important; opacity: 1; }}
a:focus-visible, button:focus-visible, input:focus-visible, textarea:focus-visible, summary:focus-visible,
[role="button"]:focus-visible, [role="combobox"]:focus-visible, [role="radio"]:focus-visible,
[role="checkbox"]:focus-visible, [role="link"]:focus-visible, [tabindex]:focus-visible {{
  outline: 3px solid {FOCUS_RING} !important;
  outline-offset: 2px !important;
}}
label:has(input[type="radio"]:focus-visible), label:has(input[type="checkbox"]:focus-visible) {{
  outline: 3px solid {FOCUS_RING};
  outline-offset: 2px;
}}
/* A copy button that is there before the pointer is: the temporary password's. */
[data-testid="stCode"] button {{ opacity: 1 !important; visibility: visible !important; }}
/* The phone's menu opener: 44 px, the smallest target people can hit reliably. */
[data-testid="stExpandSidebarButton"] {{ min-width: 44px; min-height: 44px; }}
/* Sections are st.header (h2, right under the page's h1) drawn at st.subheader's size. */
[data-testid="stHeading"] h2 {{ font-size: 1.75rem !important; padding-top: 0.75rem !important; }}
</style>"""

# Streamlit marks the uploader's drop zone role="presentation" and yet gives it a name (aria-label) and a
# tabindex, so browsers ignore the role (axe: presentation-role-conflict): a named group is what it is.
# A chart is one picture named by its description (charts.described): an "img" whose drawing is hidden, so
# that its marks (Vega's "graphics-symbol"s, nameless once its English descriptions are off) are not read.
# Streamlit's portal for pop-ups sits outside every landmark (axe: region): it is the page's pop-ups region
# (the page-language script names it in the UI's language), apart from the toasts' own "Notifications"
# region (two landmarks of one name: axe's landmark-unique).
# A toast is react-aria's alertdialog named by a title element Streamlit never draws (axe: aria-dialog-name),
# and without the role="alert" content react-aria gives its own toasts (what screen readers announce): its
# text names it and is that alert.
# The router emits it at the end of the sidebar (a script in the page would push the title down).
ROLE_REPAIRS_SCRIPT: Final = """<script>
(() => {
  if (window.spendscoreRoleRepairs) return;
  window.spendscoreRoleRepairs = true;
  const DROP_ZONE = '[data-testid="stFileUploaderDropzone"][role="presentation"]';
  const CHART = '[role="graphics-document"]';  // only Vega's charts have it
  const PORTAL = "#stFloatingOverlayPortal:not([role])";
  const TOAST_TEXT = '[role="alertdialog"] [data-testid="stToastText"]';
  let toasts = 0;
  const fix = () => {
    document.querySelectorAll(DROP_ZONE).forEach((zone) => zone.setAttribute("role", "group"));
    document.querySelectorAll(CHART).forEach((chart) => {
      chart.setAttribute("role", "img");
      chart.querySelectorAll("svg:not([aria-hidden])").forEach((svg) => {
        svg.setAttribute("aria-hidden", "true");
      });
    });
    document.querySelectorAll(PORTAL).forEach((portal) => {
      portal.setAttribute("role", "region");
      portal.setAttribute("aria-label", "Pop-ups");
    });
    document.querySelectorAll(TOAST_TEXT).forEach((text) => {
      if (!text.id) text.id = `spendscore-toast-${++toasts}`;
      if (text.getAttribute("role") !== "alert") {
        text.setAttribute("role", "alert");
        text.setAttribute("aria-atomic", "true");
      }
      const toast = text.closest('[role="alertdialog"]');
      if (toast.getAttribute("aria-labelledby") !== text.id) toast.setAttribute("aria-labelledby", text.id);
    });
  };
  new MutationObserver(fix).observe(document.body, {
    subtree: true, childList: true, attributes: true, attributeFilter: ["role", "aria-labelledby"],
  });
  fix();
})();
</script>"""


def emit_page_style() -> None:
    """Add the style rules to the page. Called once per run by the router."""
    st.html(PAGE_STYLE)
