"""English messages of issue 23's store money: the unit in which a store types and reads incomes."""

MESSAGES: dict[str, str] = {
    "field.income_amount": "Income (in the store's unit)",
    "money.unit": "{symbol} per {period}",
    "money.unit.thousands": "thousand {symbol} per {period}",
    "money.period.month": "month",
    "money.period.year": "year",
    "money.per.month": "/month",
    "money.per.year": "/year",
    "money.amount": "{symbol} {value}{period}",
    "money.amount.thousands": "{symbol} {value} thousand{period}",
    "money.model_amount": "{value} k$",
    "money.model_value": "≈ {value} thousand $/year for the model",
    "money.income_label": "Income ({unit})",
    "money.form_income": "Income ({unit}) *",
    "money.form_placeholder": "in {unit}",
    "money.form_error_range": "Type an income from 0 to {max} ({unit}).",
    "money.factor": "1 thousand $ a year for the model = {value} {unit}",
    "money.factor_set_on": "(set on {date})",
    "money.load_failed": "The store's settings could not be read",
    "money.settings.title": "Store money",
    "money.settings.explain": (
        "The currency and period in which you type, import and read incomes, and how many of them make "
        "one unit of the model (a thousand dollars a year). No exchange rate is built in or fetched: the "
        "number is yours, shown with the date you set it."
    ),
    "money.settings.currency": "Currency",
    "money.settings.period": "Period",
    "money.settings.in_thousands": "Amounts in thousands",
    "money.settings.factor": "How many of these make 1 thousand $ a year for the model *",
    "money.settings.factor_help": (
        "E.g. at R$ 5 to the dollar, 1 thousand $ a year is R$ 5,000 a year, or about R$ 416.67 a month."
    ),
    "money.settings.factor_missing": "Type how many of your amounts make one model unit: a positive number.",
    "money.settings.save": "Save the store's money",
    "money.settings.saved": "Incomes are now typed and shown in {unit}.",
    "money.settings.reset": "Use the model's unit (thousands of $ a year)",
    "money.settings.could_not_save": "The store's money could not be saved",
    "money.settings.existing_note": (
        "Customers already saved keep the model value they were scored with; a new number changes how "
        "their incomes are shown, not their scores."
    ),
    "money.import_note": (
        "Incomes in the file are read in {unit}, as in the template's income column (or a column named "
        "“income”). A column “annual_income” is read in thousands of $ a year, the model's unit."
    ),
}
