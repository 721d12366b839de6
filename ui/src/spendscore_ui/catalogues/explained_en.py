"""English messages of issue 23: numbers typed the locale's way, inputs outside the model's training
data, and why a score is what it is."""

MESSAGES: dict[str, str] = {
    # --- numbers people type (locale_numbers.py) ---
    "number.error.not_a_number": (
        "“{text}” is not a number: type digits, with a point for decimals (e.g. {example})."
    ),
    "number.error.ambiguous": (
        "“{text}” can be read two ways: did you mean {first} or {second}? In English decimals take a "
        "point and thousands a comma."
    ),
    # --- inputs the model never learned from (plausibility.py) ---
    "plausibility.age": (
        "Age {value} lies outside the ages the model learned from ({low} to {high}): check it. If it is "
        "right, tick the box below and save again."
    ),
    "plausibility.annual_income": (
        "An income of {value} lies outside the incomes the model learned from ({low} to {high}): "
        "check it. If it is right, tick the box below and save again."
    ),
    "plausibility.confirm": "These values are right: save them even though the score will be a rough guess",
    # --- why this score (explanation_view.py) ---
    "explain.title": "Why this score",
    "explain.sentence": "The model's average customer scores {base}; {parts}.",
    "explain.up": "{what} pulls the score up ({points})",
    "explain.down": "{what} pulls it down ({points})",
    "explain.none": "{what} makes no difference",
    "explain.what.annual_income": "the income of {value}",
    "explain.what.age": "the age of {value} years",
    "explain.what.gender": "being {value}",
    "explain.chart.x": "Points of score",
    "explain.chart.input": "Input",
    "explain.chart.effect": "Effect",
    "explain.chart.direction": "Direction",
    "explain.chart.up": "up",
    "explain.chart.down": "down",
    "explain.chart.description": (
        "Bar chart of the points each of the customer's facts adds to or takes from the score"
    ),
    "explain.missing": "This score was computed before explanations existed: predict again to see why.",
    # --- why a session ended (session.py, session_watch.py) ---
    "session.ended.deactivated": "An administrator deactivated your account, so your session ended.",
    "session.ended.deleted": "Your account was deleted, so your session ended.",
    "session.ended.password_reset": (
        "An administrator reset your password: sign in with the temporary password you were given."
    ),
    "session.ended.revoked": (
        "Your session ended because your password or your access changed. Please sign in again."
    ),
    # --- one story per customer: band, segment and the two kinds agree (customer_view.shown_segment) ---
    "story.segment.two_kinds": "the likelier of the two kinds, as the model sees it",
    "story.segment.unclear": (
        "**Segment: not clear.** Customers with this profile fall in groups that spend differently; the "
        "score and its band above are the model's best single answer."
    ),
}
