"""Português: a tabela da lista de clientes, seleção e ações em massa, a lixeira, visões salvas (issue 24)."""

MESSAGES: dict[str, str] = {
    "customers.table.caption": "Clientes: {sort}",
    "customers.table.sort_hint": "Ordenar por {column}",
    "customers.select.toggle": "Selecionar clientes",
    "customers.select.all_matching": "Todos os clientes desta visão ({count})",
    "customers.select.page": "Clientes desta página",
    "customers.select.none": "Marque clientes, ou todos desta visão, para agir sobre eles.",
    "customers.select.selected.one": "{count} cliente selecionado.",
    "customers.select.selected.other": "{count} clientes selecionados.",
    "customers.select.clear": "Limpar a seleção",
    "customers.bulk.predict": "Prever novamente",
    "customers.bulk.export": "Exportar selecionados (CSV)",
    "customers.bulk.delete": "Excluir",
    "customers.bulk.confirm_delete.one": (
        "Excluir {count} cliente? Ele vai para Excluídos recentemente com o histórico e pode ser "
        "restaurado de lá até ser removido definitivamente."
    ),
    "customers.bulk.confirm_delete.other": (
        "Excluir {count} clientes? Eles vão para Excluídos recentemente com o histórico e podem ser "
        "restaurados de lá até serem removidos definitivamente."
    ),
    "customers.bulk.confirm_predict.one": "Prever novamente {count} cliente com o modelo atual?",
    "customers.bulk.confirm_predict.other": "Prever novamente {count} clientes com o modelo atual?",
    "customers.bulk.yes": "Sim, continuar",
    "customers.bulk.cancel": "Cancelar",
    "customers.bulk.deleted.one": "{count} cliente foi para Excluídos recentemente.",
    "customers.bulk.deleted.other": "{count} clientes foram para Excluídos recentemente.",
    "customers.bulk.predicted.one": "{count} cliente previsto novamente.",
    "customers.bulk.predicted.other": "{count} clientes previstos novamente.",
    "customers.bulk.failed": "Não foi possível concluir a ação; nada foi alterado",
    "customers.recently_deleted": "Excluídos recentemente",
    "nav.deleted": "Excluídos recentemente",
    "deleted.title": "Excluídos recentemente",
    "deleted.intro": (
        "Os clientes excluídos esperam aqui, com histórico, pontuações observadas e código, até a data "
        "indicada; depois são removidos definitivamente. Restaure um a um ou vários de uma vez."
    ),
    "deleted.empty": "Nada aqui: nenhum cliente foi excluído recentemente.",
    "deleted.when": "Excluído em {deleted} · removido definitivamente após {purge}",
    "deleted.restore_one": "Restaurar",
    "deleted.restore_one_help": "Restaurar {name}",
    "deleted.restore_selected": "Restaurar os selecionados ({count})",
    "deleted.restored.one": "{count} cliente restaurado.",
    "deleted.restored.other": "{count} clientes restaurados.",
    "deleted.restore_failed": "Não foi possível restaurar; nada foi restaurado",
    "deleted.load_failed": "Não foi possível carregar os clientes excluídos recentemente",
    "deleted.back": "Voltar aos clientes",
    "customers.views.manage": "Renomear ou excluir uma visão",
    "customers.views.choose": "Visão",
    "customers.views.new_name": "Novo nome",
    "customers.views.rename": "Renomear",
    "customers.views.delete": "Excluir a visão",
    "customers.views.renamed": "Visão renomeada para {name}",
    "customers.views.deleted": "Visão {name} excluída",
    "customers.views.failed": "Não foi possível alterar a visão",
}
