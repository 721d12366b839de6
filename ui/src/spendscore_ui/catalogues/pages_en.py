"""English messages of the store pages (customers list, customer, dashboard, import/export, charts)."""

MESSAGES: dict[str, str] = {
    # --- the customer form (create and edit) ---
    "form.name": "Name *",
    "form.gender": "Gender *",
    "form.age": "Age *",
    "form.age_placeholder": "years",
    "form.income": "Annual income (k$) *",
    "form.income_placeholder": "thousands of dollars a year",
    "form.observed": "Actual spending score (optional)",
    "form.observed_placeholder": "1 to 100, if you know it",
    "form.observed_help": (
        "The score you measured yourself, if you have one. The customer's segment then follows it, and "
        "the dashboard shows how close the model came."
    ),
    "form.phone": "Phone (optional)",
    "form.phone_placeholder": "(11) 98765-4321",
    "form.email": "E-mail (optional)",
    "form.email_placeholder": "maria@example.com",
    "form.error.phone": (
        "Enter the area code and the number, e.g. (11) 98765-4321, or an international number with +."
    ),
    "form.error.email": "Enter an e-mail address such as maria@example.com.",
    "form.required_note": "Fields marked \\* are required.",
    "form.error.name_missing": "Enter the customer's name.",
    "form.error.name_too_long": "Use at most {max} characters.",
    "form.error.gender_missing": "Choose female or male.",
    "form.error.age_missing": "Enter the age in years.",
    "form.error.age_whole": "Enter the age in whole years.",
    "form.error.age_range": "{value} is not a possible age: enter between {min} and {max} years.",
    "form.error.income_missing": "Enter the annual income, in thousands of dollars.",
    "form.error.income_range": "Enter an income between 0 and {max} (thousands of dollars a year).",
    "form.error.observed_range": "A spending score is a whole number from {min} to {max}.",
    # --- what a prediction means ---
    "view.interval": "80% of customers like this one score between {low} and {high}.",
    "view.modes": (
        "Customers like this one are of two kinds: some score around {low}, others around {high}; "
        "{score} is the average of both, not a typical score."
    ),
    "view.warning.age": (
        "Age {value} lies outside the ages the model learned from ({low} to {high}): "
        "treat this score as a rough guess."
    ),
    "view.warning.income": (
        "An income of {value} lies outside the incomes the model learned from ({low} to {high}): "
        "treat this score as a rough guess."
    ),
    "view.warning.other": (
        "These inputs lie outside the data the model learned from: treat this score as a rough guess."
    ),
    # --- customers list ---
    "customers.title": "Customers",
    "customers.admin_note": (
        "These store pages show the customers of your own store, as for every owner; "
        "other stores' customers are not shown here."
    ),
    "customers.add.button": "Add customer",
    "customers.add.title": "Add customer",
    "customers.add.submit": "Create customer",
    "customers.add.creating": "Creating and scoring…",
    "customers.add.failed": "Could not create the customer",
    "customers.created": "Created {name}: spending score {score} ({band}).",
    "customers.created_toast": "Created {name}: score {score}",
    "customers.created_pending": (
        "Created {name}. The score is pending: the prediction service is unavailable, "
        "it will be filled in automatically."
    ),
    "customers.open": "Open {name}",
    "customers.deleted": "Deleted {name}",
    "customers.search": "Search by name",
    "customers.search_placeholder": "Type the start of a name, or your id",
    "customers.filters": "Filters and sort",
    "customers.filters_active.one": "Filters and sort ({count} filter on)",
    "customers.filters_active.other": "Filters and sort ({count} filters on)",
    "customers.filter.gender": "Gender",
    "customers.filter.band": "Band",
    "customers.filter.segment": "Segment",
    "customers.filter.all": "All",
    "customers.sort": "Sort",
    "customers.sort.newest": "Recently added",
    "customers.sort.first": "First added",
    "customers.sort.name_az": "Name (A-Z)",
    "customers.sort.name_za": "Name (Z-A)",
    "customers.sort.score_high": "Highest score",
    "customers.sort.score_low": "Lowest score",
    "customers.sort.youngest": "Youngest",
    "customers.sort.oldest": "Oldest",
    "customers.load_failed": "Could not load the customers",
    "customers.welcome.title": "Welcome to SpendScore",
    "customers.welcome.text": (
        "Add your store's customers one by one, or import the spreadsheet you already have. Each customer "
        "gets a spending score from 1 to 100 and a band (low, medium, high), so you know whom to court."
    ),
    "customers.welcome.import": "Import CSV",
    "customers.no_match": "No customers match this search. Change the filters or clear the search.",
    "customers.pending": "pending",
    "customers.column.name": "Name",
    "customers.column.external_id": "Your id",
    "customers.column.score": "Score",
    "customers.column.score_help": "Predicted spending score, 1 to 100",
    "customers.column.band": "Band",
    "customers.column.warning_help": "⚠: the inputs lie outside the model's training data (a rough guess)",
    "customers.column.segment": "Segment",
    "customers.column.gender": "Gender",
    "customers.column.age": "Age",
    "customers.column.income": "Income (k$)",
    "customers.column.added": "Added",
    "customers.showing.one": "Showing {first}–{last} of {count} customer.",
    "customers.showing.other": "Showing {first}–{last} of {count} customers.",
    "customers.click_hint": "Open a customer with its name (a link); sort with a column's header.",
    # --- one customer ---
    "customer.title": "Customer",
    "customer.back": "All customers",
    "customer.choose": "Choose a customer in the list: click its row.",
    "customer.loading": "Loading the customer…",
    "customer.not_found": "This customer does not exist (it may have been deleted).",
    "customer.load_failed": "Could not load the customer",
    "customer.score": "Spending score",
    "customer.band": "Band",
    "customer.pending": "pending",
    "customer.pending_note": (
        "The latest prediction is pending: the prediction service was unavailable. "
        "It is completed automatically once the service answers again."
    ),
    "customer.segment": "**Segment: {name}** ({how})",
    "customer.segment.observed": "from the score you entered",
    "customer.segment.predicted": "as the model sees it",
    "customer.observed": "Actual spending score you entered: {score} ({when}).",
    "customer.predict_again": "Predict again",
    "customer.predicting": "Predicting…",
    "customer.predict_failed": "Could not predict",
    "customer.predicted": "New prediction: score {score}",
    "customer.predicted_pending": "The new prediction is pending",
    "customer.delete": "Delete",
    "customer.delete_confirm": (
        "Delete **{name}**? It goes to Recently deleted with its whole history, and can be restored from "
        "there until it is removed for good."
    ),
    "customer.delete_yes": "Yes, delete",
    "customer.delete_cancel": "Cancel",
    "customer.delete_failed": "Could not delete",
    "customer.edit": "Edit",
    "customer.save": "Save changes",
    "customer.saving": "Saving…",
    "customer.save_failed": "Could not save",
    "customer.saved": "Saved {name}",
    "customer.saved_score": "Saved {name}: score {score}",
    "customer.nothing_changed": "Nothing changed.",
    "customer.history": "Prediction history",
    "customer.no_scores": "No scored prediction yet.",
    "customer.history_caption.one": (
        "{count} scored prediction. The shaded band is the 80% interval; the dashed lines are the 25 and "
        "75 thresholds between the low, medium and high bands."
    ),
    "customer.history_caption.other": (
        "{count} scored predictions. The shaded band is the 80% interval; the dashed lines are the 25 and "
        "75 thresholds between the low, medium and high bands."
    ),
    "customer.column.when": "Predicted at",
    "customer.column.score": "Score",
    "customer.column.band": "Band",
    "customer.column.interval": "80% interval",
    "customer.column.model": "Model version",
    # --- dashboard ---
    "dashboard.title": "Dashboard",
    "dashboard.loading": "Loading the dashboard…",
    "dashboard.load_failed": "Could not load the dashboard",
    "dashboard.customers": "Customers",
    "dashboard.average": "Average score",
    "dashboard.low": "Low (under 25)",
    "dashboard.medium": "Medium (25 to 75)",
    "dashboard.high": "High (over 75)",
    "dashboard.empty": (
        "**No customers yet.** The charts appear once you have some: add them one by one on the Customers "
        "page, or import a spreadsheet."
    ),
    "dashboard.empty.add": "Add customers",
    "dashboard.empty.import": "Import CSV",
    "dashboard.scatter": "Customers by income and score",
    "dashboard.scatter_caption": (
        "Each dot is a customer, coloured by segment; scores you entered yourself are drawn as squares."
    ),
    "dashboard.segments": "Customers by segment",
    "dashboard.accuracy": "How close the model came",
    "dashboard.accuracy.none": (
        "Enter the actual spending score of a few customers (on a customer's page, under Edit) and this "
        "panel shows how close the model came for your store."
    ),
    "dashboard.accuracy.mae.one": (
        "On {count} customer whose score you entered, the model was off by {mae} points on average."
    ),
    "dashboard.accuracy.mae.other": (
        "On {count} customers whose score you entered, the model was off by {mae} points on average."
    ),
    "dashboard.accuracy.coverage": "{share} fell inside their 80% interval.",
    "dashboard.accuracy.more_needed": "From 20 entered scores on, it also shows how often the interval held.",
    "dashboard.by_band": "Customers by band",
    "dashboard.band_hint": "Click a bar to see those customers.",
    "dashboard.by_gender": "Customers by gender",
    "dashboard.histogram": "How the scores spread",
    "dashboard.by_age": "Average score by age group",
    # --- charts ---
    "chart.customers": "Customers",
    "chart.band": "Band",
    "chart.count_share": "{count} ({share})",
    # Column names of the data behind the charts (the "Show data" table's headers).
    "chart.data.count_share": "Customers (share)",
    "chart.data.low": "Interval start",
    "chart.data.high": "Interval end",
    "chart.data.threshold": "Band limit",
    "chart.data.from": "Scores from",
    "chart.data.to": "Scores to",
    "chart.history.x": "Prediction (local time)",
    "chart.history.y": "Spending score",
    "chart.history.when": "When",
    "chart.history.score": "Score",
    "chart.history.interval": "80% interval",
    "chart.history.band": "Band",
    "chart.history.model": "Model",
    "chart.histogram.x": "Spending score",
    "chart.histogram.range": "{low} to {high}",
    "chart.age.x": "Age group",
    "chart.age.y": "Average score",
    "chart.scatter.y": "Spending score",
    "chart.scatter.segment": "Segment",
    "chart.scatter.source": "Score",
    "chart.scatter.observed": "entered by you",
    "chart.scatter.predicted": "predicted",
    "chart.history.description": (
        "Chart of this customer's spending score at each prediction, with its 80% interval"
    ),
    "chart.gender.description": "Bar chart of the customers by gender",
    "chart.band.description": "Bar chart of the customers by band",
    "chart.histogram.description": (
        "Bar chart of how many customers score 0 to 10, 10 to 20 and so on up to 100"
    ),
    "chart.age.description": "Bar chart of the average spending score by age group",
    "chart.scatter.description": (
        "Scatter chart of the customers by annual income and spending score, one colour a segment"
    ),
    "chart.segments.description": "Bar chart of the customers by segment",
    # --- import / export ---
    "import.title": "Import / export",
    "import.import": "Import customers",
    "import.explain": (
        "A CSV or Excel file with a header row and the columns name, gender, age and annual income "
        "(Portuguese headers work too: nome, sexo, idade, renda), up to 10,000 rows. Start from the "
        "template if in doubt."
    ),
    "import.template_csv": "Template (CSV)",
    "import.template_xlsx": "Template (Excel)",
    "import.template_file": "customers-template",
    "import.file": "File (CSV or Excel)",
    "import.preview": "First rows of the file:",
    "import.no_preview": "This file cannot be previewed here; the service will check it.",
    "import.mode": "If some rows are wrong",
    "import.mode.all": "Import nothing and list the wrong rows",
    "import.mode.partial": "Import the good rows and list the wrong ones",
    "import.submit": "Import",
    "import.running": "Importing {name} and scoring every customer…",
    "import.finished": "Import finished",
    "import.failed": "Nothing was imported",
    "import.nothing_imported": "Nothing was imported",
    "import.done.one": "Imported {count} customer.",
    "import.done.other": "Imported {count} customers.",
    "import.pending.one": (
        "{count} score is pending: the prediction service is unavailable, it is filled in automatically."
    ),
    "import.pending.other": (
        "{count} scores are pending: the prediction service is unavailable, they are filled in automatically."
    ),
    "import.rejected.one": "{count} row was not imported:",
    "import.rejected.other": "{count} rows were not imported:",
    "import.updated.one": "{count} customer already there (same id) was updated.",
    "import.updated.other": "{count} customers already there (same id) were updated.",
    "import.see_them": "See the imported customers",
    "import.column.line": "Line",
    "import.column.field": "Field",
    "import.column.problem": "Problem",
    "import.export": "Export",
    "import.export_explain": (
        "Every customer with the latest score, band and interval, ordered by name. The CSV opens right "
        "in Excel."
    ),
    "import.export_explain_semicolon": (
        "Every customer with the latest score, band and interval, ordered by name. The CSV uses ; and "
        "decimal commas, as Excel in Portuguese expects."
    ),
    "import.export_csv": "Download CSV",
    "import.export_xlsx": "Download Excel",
    "import.export_file": "customers",
    # --- issue 25: what the interval means, in plain words ---
    "view.interval_outside": "About 1 in 5 real scores falls outside this range.",
    # --- issue 25: sales, the store's own model, drift ---
    "field.date": "Date",
    "field.amount": "Amount",
    "sales.import": "Import sales",
    "sales.explain": (
        "A sales file as your point of sale or spreadsheet exports it (CSV or Excel): the customer's "
        "external id or exact name, the date and the amount of each sale. Each customer's observed "
        "spending score is then the percentile (1 to 100) of their spend over the 12 months up to your "
        "latest sale, among your customers with sales. A score you type wins until the next sales import."
    ),
    "sales.show": "I have a sales file",
    "sales.file": "Sales file (CSV or Excel)",
    "sales.submit": "Import sales",
    "sales.done.one": "Imported {count} sale.",
    "sales.done.other": "Imported {count} sales.",
    "sales.scored.one": "{count} customer's observed score now comes from your sales.",
    "sales.scored.other": "{count} customers' observed scores now come from your sales.",
    "sales.source.sales": "Observed score derived from your sales.",
    "model.store_title": "Your store's own correction",
    "model.store": (
        "Each store also gets its own correction of this model, learned from the scores observed there "
        "(typed, or the percentile of the customer's spend over the 12 months up to the store's latest "
        "sale). It reads the store's incomes on a scale of its own (from 30 scores on), then adds an "
        "offset and a scale to the score; each part is pulled towards no correction the less evidence "
        "there is. It answers only when it beats this model on the store's later scores: the scores, "
        "oldest first, are cut into six blocks and each of the last five is predicted from the blocks "
        "before it (forward chaining, not shuffled cross-validation), the test that matters for the next "
        "customers. Its range widens or narrows with the errors it made on those later scores, not on the "
        "ones it learned from."
    ),
    "sales.source.typed": "Observed score typed by you.",
    "sales.of_customer.one": "{count} sale",
    "sales.of_customer.other": "{count} sales",
    "sales.column.date": "Date",
    "sales.column.amount": "Amount",
    "store.title": "Global model vs your store",
    "store.fit": "Fit your store's model again",
    "store.not_fitted": "Not fitted yet: import sales or enter observed scores, then fit your store's model.",
    "store.reason.better_on_held_out": (
        "Learned from your earlier scores, your store's correction made smaller errors on the later ones: "
        "it now answers for your customers."
    ),
    "store.reason.not_better_on_held_out": (
        "Learned from your earlier scores, your store's correction did not make smaller errors on the "
        "later ones: the global model keeps answering."
    ),
    "store.reason.too_few_scores": (
        "Too few observed scores to learn your store (at least 20): the global model keeps answering."
    ),
    "store.column.model": "Model",
    "store.column.error": "Average error (points)",
    "store.column.coverage": "Real scores inside the 80% interval",
    "store.global": "Global model",
    "store.yours": "Your store's model",
    "store.held_out.one": (
        "Measured on your {count} latest observed score, predicted only from the scores dated before it."
    ),
    "store.held_out.other": (
        "Measured on your {count} latest observed scores, each predicted only from the scores dated "
        "before it."
    ),
    "store.income_scale": (
        "Your store's model reads your customers' incomes as {share} of what you recorded: at those "
        "incomes, the customers the model learned from spend as yours do."
    ),
    "store.coverage": (
        "with {count} scores, {share} observed inside the interval is compatible with {low} to {high}."
    ),
    "store.no_claim": (
        "Below {min} scores these coverage figures are too uncertain to say how your store's intervals hold."
    ),
    "store.rescoring": "Re-scoring your customers: {done} of {total}.",
    "drift.title": "Your customers vs the model's training customers",
    "drift.store": "Your store",
    "drift.training": "Training data",
    "drift.column.feature": "What",
    "drift.column.who": "Whose",
    "drift.column.median": "Median",
    "drift.column.middle": "Middle half",
    "drift.middle": "{low} to {high}",
    "drift.feature.age": "Age",
    "drift.feature.annual_income": "Annual income (k$)",
    "drift.error_title": "Average error of the scores shown, by month of the observed score",
    "drift.column.month": "Month",
    "drift.column.count": "Scores",
    "drift.column.error": "Average error (points)",
    "drift.no_errors": "No observed scores yet to follow the error over time.",
    # --- issue 24 (listwork): every sort, the view's export, segment links ---
    "customers.sort.income_high": "Highest income",
    "customers.sort.income_low": "Lowest income",
    "customers.sort.gender_fm": "Gender (women first)",
    "customers.sort.gender_mf": "Gender (men first)",
    "customers.sort.band_high": "Band (high first)",
    "customers.sort.band_low": "Band (low first)",
    "customers.sort.segment_az": "Segment (A-Z)",
    "customers.sort.segment_za": "Segment (Z-A)",
    "customers.sort.external_az": "Your id (A-Z)",
    "customers.sort.external_za": "Your id (Z-A)",
    "customers.sort.updated_new": "Recently changed",
    "customers.sort.updated_old": "Least recently changed",
    "customers.sort.observed_high": "Highest observed score",
    "customers.sort.observed_low": "Lowest observed score",
    "customers.export_view": "Export this view (CSV)",
    "customers.export_view_help": (
        "Every customer of this search, these filters and this order, not only this page"
    ),
    "dashboard.segment_link": "List the customers of “{name}” ({count})",
    "dashboard.band_link": "List the customers of the “{band}” band ({count})",
    "customer.segment_link": "List every customer of this segment",
    "customer.phone": "Phone: {phone}",
    "customer.email": "E-mail: {email}",
    "customer.whatsapp": "WhatsApp",
    "customer.data_download": "Download everything stored about this customer (JSON)",
    "customer.data_download_help": (
        "Data, predictions and observed scores: what a data-protection request asks for"
    ),
    "customers.whatsapp_open": "Open chat",
    "customers.saved_views": "Saved views",
    "customers.save_view": "Save this view",
    "customers.save_view.name": "Name of the view",
    "customers.save_view.submit": "Save",
    "customers.save_view.failed": "The view could not be saved",
}
