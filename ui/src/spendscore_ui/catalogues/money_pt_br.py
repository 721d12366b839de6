"""Mensagens em português da issue 23, o dinheiro da loja: a unidade em que a loja digita e lê rendas."""

MESSAGES: dict[str, str] = {
    "field.income_amount": "Renda (na unidade da loja)",
    "money.unit": "{symbol} por {period}",
    "money.unit.thousands": "mil {symbol} por {period}",
    "money.period.month": "mês",
    "money.period.year": "ano",
    "money.per.month": "/mês",
    "money.per.year": "/ano",
    "money.amount": "{symbol} {value}{period}",
    "money.amount.thousands": "{symbol} {value} mil{period}",
    "money.model_amount": "{value} mil $",
    "money.model_value": "≈ {value} mil $/ano para o modelo",
    "money.income_label": "Renda ({unit})",
    "money.form_income": "Renda ({unit}) *",
    "money.form_placeholder": "em {unit}",
    "money.form_error_range": "Digite uma renda de 0 a {max} ({unit}).",
    "money.factor": "1 mil $ por ano para o modelo = {value} {unit}",
    "money.factor_set_on": "(definido em {date})",
    "money.load_failed": "Não foi possível ler as configurações da loja",
    "money.settings.title": "Dinheiro da loja",
    "money.settings.explain": (
        "A moeda e o período em que você digita, importa e lê as rendas, e quantos deles fazem uma unidade "
        "do modelo (mil dólares por ano). Nenhuma cotação é embutida ou buscada: o número é seu, mostrado "
        "com a data em que você o definiu."
    ),
    "money.settings.currency": "Moeda",
    "money.settings.period": "Período",
    "money.settings.in_thousands": "Valores em milhares",
    "money.settings.factor": "Quantos destes equivalem a 1 mil $ por ano para o modelo *",
    "money.settings.factor_help": (
        "Por exemplo, com o dólar a R$ 5, 1 mil $ por ano são R$ 5.000 por ano, ou cerca de R$ 416,67 "
        "por mês."
    ),
    "money.settings.factor_missing": (
        "Digite quantos dos seus valores fazem uma unidade do modelo: um número positivo."
    ),
    "money.settings.save": "Salvar o dinheiro da loja",
    "money.settings.saved": "As rendas agora são digitadas e mostradas em {unit}.",
    "money.settings.reset": "Usar a unidade do modelo (milhares de $ por ano)",
    "money.settings.could_not_save": "Não foi possível salvar o dinheiro da loja",
    "money.settings.existing_note": (
        "Os clientes já salvos mantêm o valor para o modelo com que foram pontuados; um novo número muda "
        "como suas rendas são mostradas, não suas pontuações."
    ),
    "money.import_note": (
        "As rendas do arquivo são lidas em {unit}, como na coluna de renda do modelo de planilha (ou numa "
        "coluna chamada “renda”). Uma coluna “renda_anual” é lida em milhares de $ por ano, a unidade do "
        "modelo."
    ),
}
