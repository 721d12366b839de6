"""English: the customers list's table, selection, bulk actions, recycle bin and saved views (issue 24)."""

MESSAGES: dict[str, str] = {
    "customers.table.caption": "Customers: {sort}",
    "customers.table.sort_hint": "Sort by {column}",
    "customers.select.toggle": "Select customers",
    "customers.select.all_matching": "All customers of this view ({count})",
    "customers.select.page": "Customers on this page",
    "customers.select.none": "Tick customers, or all of this view, to act on them.",
    "customers.select.selected.one": "{count} customer selected.",
    "customers.select.selected.other": "{count} customers selected.",
    "customers.select.clear": "Clear the selection",
    "customers.bulk.predict": "Predict again",
    "customers.bulk.export": "Export selected (CSV)",
    "customers.bulk.delete": "Delete",
    "customers.bulk.confirm_delete.one": (
        "Delete {count} customer? It goes to Recently deleted with its history, and can be restored "
        "from there until it is removed for good."
    ),
    "customers.bulk.confirm_delete.other": (
        "Delete {count} customers? They go to Recently deleted with their history, and can be restored "
        "from there until they are removed for good."
    ),
    "customers.bulk.confirm_predict.one": "Predict {count} customer again with the current model?",
    "customers.bulk.confirm_predict.other": "Predict {count} customers again with the current model?",
    "customers.bulk.yes": "Yes, go ahead",
    "customers.bulk.cancel": "Cancel",
    "customers.bulk.deleted.one": "Moved {count} customer to Recently deleted.",
    "customers.bulk.deleted.other": "Moved {count} customers to Recently deleted.",
    "customers.bulk.predicted.one": "Predicted {count} customer again.",
    "customers.bulk.predicted.other": "Predicted {count} customers again.",
    "customers.bulk.failed": "The action could not be done; nothing was changed",
    "customers.recently_deleted": "Recently deleted",
    "nav.deleted": "Recently deleted",
    "deleted.title": "Recently deleted",
    "deleted.intro": (
        "Deleted customers wait here with their history, observed scores and id until the date shown, "
        "then they are removed for good. Restore them one by one or several at once."
    ),
    "deleted.empty": "Nothing here: no customer was deleted recently.",
    "deleted.when": "Deleted {deleted} · removed for good after {purge}",
    "deleted.restore_one": "Restore",
    "deleted.restore_one_help": "Restore {name}",
    "deleted.restore_selected": "Restore the selected ({count})",
    "deleted.restored.one": "Restored {count} customer.",
    "deleted.restored.other": "Restored {count} customers.",
    "deleted.restore_failed": "Could not restore; nothing was restored",
    "deleted.load_failed": "Could not load the recently deleted customers",
    "deleted.back": "Back to the customers",
    "customers.views.manage": "Rename or delete a view",
    "customers.views.choose": "View",
    "customers.views.new_name": "New name",
    "customers.views.rename": "Rename",
    "customers.views.delete": "Delete the view",
    "customers.views.renamed": "Renamed the view to {name}",
    "customers.views.deleted": "Deleted the view {name}",
    "customers.views.failed": "The view could not be changed",
}
