"""axe-core in a browser test: the accessibility rules run in the page, as the axe
browser extension runs them. The engine is vendored (tests/browser/vendor/axe.min.js,
axe-core 4.14.1, MPL-2.0) and evaluated in the page by Playwright — not added as a
<script> tag, which the pages' Content-Security-Policy would rightly refuse."""

from __future__ import annotations

from pathlib import Path

AXE_SOURCE = (Path(__file__).with_name("vendor") / "axe.min.js").read_text()

RUN = """async () => {
  const results = await axe.run(document, {resultTypes: ["violations"]});
  if (!results.passes.length) throw new Error("axe-core checked nothing");
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


def serious_violations(page) -> list[dict]:
    """The serious and critical axe-core violations of the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return [v for v in page.evaluate(RUN) if v["impact"] in ("serious", "critical")]
