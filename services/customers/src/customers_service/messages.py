"""What the import, export and template say to people, in English or Brazilian Portuguese.

The language is the caller's (``Accept-Language``); anything but Portuguese gets English.
"""

from typing import Annotated, Literal

from fastapi import Depends, Header

Language = Literal["en", "pt"]

_MESSAGES: dict[str, dict[Language, str]] = {
    "file_too_large": {
        "en": "The file is larger than {mb} MB: split it into smaller files.",
        "pt": "O arquivo tem mais de {mb} MB: divida-o em arquivos menores.",
    },
    "file_encoding": {
        "en": "The file is not text we can read: save it as CSV UTF-8 (or as an Excel .xlsx file).",
        "pt": "Não conseguimos ler o texto do arquivo: salve-o como CSV UTF-8 (ou como planilha .xlsx).",
    },
    "file_mixed_encoding": {
        "en": "The file mixes UTF-8 with another encoding (first seen on line {line}): save it again as CSV "
        "UTF-8.",
        "pt": "O arquivo mistura UTF-8 com outra codificação (a partir da linha {line}): salve-o de novo "
        "como CSV UTF-8.",
    },
    "file_old_excel": {
        "en": "Old Excel files (.xls) are not supported: save it as .xlsx or CSV.",
        "pt": "Arquivos do Excel antigo (.xls) não são aceitos: salve como .xlsx ou CSV.",
    },
    "file_bad_xlsx": {
        "en": "This .xlsx file could not be opened: save it again from the spreadsheet program.",
        "pt": "Não foi possível abrir este arquivo .xlsx: salve-o novamente na planilha.",
    },
    # An .xlsx past a limit of xlsx_reader.XlsxLimits (issue 30): the message names the limit.
    "xlsx_max_part_bytes": {
        "en": "This .xlsx file expands to more than {value} in one part: split it into smaller files.",
        "pt": "Este arquivo .xlsx se expande para mais de {value} em uma parte: divida-o em arquivos "
        "menores.",
    },
    "xlsx_max_total_bytes": {
        "en": "This .xlsx file expands to more than {value} in all: split it into smaller files.",
        "pt": "Este arquivo .xlsx se expande para mais de {value} no total: divida-o em arquivos menores.",
    },
    "xlsx_max_ratio": {
        "en": "This .xlsx file expands more than {value} times its size: save it again as a plain sheet.",
        "pt": "Este arquivo .xlsx se expande mais de {value} vezes o seu tamanho: salve-o de novo como "
        "uma planilha simples.",
    },
    "xlsx_max_parts": {
        "en": "This .xlsx file holds more than {value} parts: save it again as a plain sheet.",
        "pt": "Este arquivo .xlsx tem mais de {value} partes: salve-o de novo como uma planilha simples.",
    },
    "xlsx_max_columns": {
        "en": "The sheet has values past column {value}: keep only the customers' columns.",
        "pt": "A planilha tem valores além da coluna {value}: deixe só as colunas dos clientes.",
    },
    "xlsx_max_elements": {
        "en": "The workbook has more than {value} cells and other elements: keep only the customers' "
        "rows and columns.",
        "pt": "A planilha tem mais de {value} células e outros elementos: deixe só as linhas e colunas "
        "dos clientes.",
    },
    "xlsx_elements_per_value": {
        "en": "The sheet holds far more empty cells and other elements than values (over {value} per "
        "value): delete the empty rows and columns around the customers and save it again.",
        "pt": "A planilha tem muito mais células vazias e outros elementos do que valores (mais de "
        "{value} por valor): apague as linhas e colunas vazias em volta dos clientes e salve-a de novo.",
    },
    "xlsx_max_shared_strings": {
        "en": "The workbook holds more than {value} texts: keep only the customers' sheet.",
        "pt": "A planilha tem mais de {value} textos: deixe só a folha dos clientes.",
    },
    "header_missing": {
        "en": "The first line must name the columns, e.g. name, gender, age, annual_income.",
        "pt": "A primeira linha deve ter os nomes das colunas, como: nome, gênero, idade, renda_anual.",
    },
    "column_missing": {
        "en": "The column {column} is missing (accepted names: {aliases}).",
        "pt": "Falta a coluna {column} (nomes aceitos: {aliases}).",
    },
    "column_repeated": {
        "en": "The column {column} appears twice in the header.",
        "pt": "A coluna {column} aparece duas vezes no cabeçalho.",
    },
    "too_many_rows": {
        "en": "The file has more than {max_rows} customers: split it into smaller files.",
        "pt": "O arquivo tem mais de {max_rows} clientes: divida-o em arquivos menores.",
    },
    "no_rows": {
        "en": "The file has no customer rows.",
        "pt": "O arquivo não tem nenhuma linha de cliente.",
    },
    "row_width": {
        "en": "This line has {found} cells where the header has {expected}.",
        "pt": "Esta linha tem {found} células, mas o cabeçalho tem {expected}.",
    },
    "row_unreadable": {
        "en": "This line could not be read (a quote is probably not closed).",
        "pt": "Não foi possível ler esta linha (provavelmente falta fechar aspas).",
    },
    "required": {
        "en": "The {column} is empty.",
        "pt": "O campo {column} está vazio.",
    },
    "too_long": {
        "en": "The {column} is longer than {max_length} characters.",
        "pt": "O campo {column} tem mais de {max_length} caracteres.",
    },
    "control_character": {
        "en": "The {column} contains an invisible control character (a line break, a tab...): remove it.",
        "pt": "O campo {column} contém um caractere de controle invisível (quebra de linha, tabulação...): "
        "remova-o.",
    },
    "nul": {
        "en": "The {column} contains a NUL character (an invisible control character): remove it.",
        "pt": "O campo {column} contém um caractere NUL (caractere de controle invisível): remova-o.",
    },
    "gender_unknown": {
        "en": '"{value}" is not a gender we know: use male or female (also m, f, homem, mulher).',
        "pt": '"{value}" não é um gênero conhecido: use masculino ou feminino (ou m, f, homem, mulher).',
    },
    "age_invalid": {
        "en": '"{value}" is not an age: use a whole number from 1 to 120.',
        "pt": '"{value}" não é uma idade: use um número inteiro de 1 a 120.',
    },
    "income_invalid": {
        "en": '"{value}" is not an annual income: use a number of thousands from 0 to {max_income}.',
        "pt": '"{value}" não é uma renda anual: use um número (em milhares) de 0 a {max_income}.',
    },
    "income_amount_invalid": {
        "en": '"{value}" is not an income in {unit}: use a number from 0 to {max_amount}.',
        "pt": '"{value}" não é uma renda em {unit}: use um número de 0 a {max_amount}.',
    },
    "score_invalid": {
        "en": '"{value}" is not a spending score: use a whole number from 1 to 100, or leave it empty.',
        "pt": '"{value}" não é uma pontuação: use um número inteiro de 1 a 100, ou deixe em branco.',
    },
    "phone_invalid": {
        "en": "The phone is not a number we can store: write the area code and the number, e.g. "
        "(11) 98765-4321, or an international number with +, or leave it empty.",
        "pt": "O telefone não é um número válido: escreva o DDD e o número, como (11) 98765-4321, "
        "ou um número internacional com +, ou deixe em branco.",
    },
    "email_invalid": {
        "en": "The e-mail is not an address we can store, e.g. maria@example.com, or leave it empty.",
        "pt": "O e-mail não é um endereço válido, como maria@example.com, ou deixe em branco.",
    },
    "external_id_repeated": {
        "en": "This external id is already used on line {first_line} of the file.",
        "pt": "Este código já aparece na linha {first_line} do arquivo.",
    },
    "default_name": {"en": "Customer {external_id}", "pt": "Cliente {external_id}"},
    # --- issue 25: the sales import ---
    "sales_no_rows": {"en": "The file has no sale rows.", "pt": "O arquivo não tem nenhuma linha de venda."},
    "sales_too_many_rows": {
        "en": "The file has more than {max_rows} sales: split it into smaller files.",
        "pt": "O arquivo tem mais de {max_rows} vendas: divida-o em arquivos menores.",
    },
    "sales_customer_column": {
        "en": "The file needs a column with the customer's external id or exact name "
        "(accepted names: {aliases}).",
        "pt": "O arquivo precisa de uma coluna com o código ou o nome exato do cliente "
        "(nomes aceitos: {aliases}).",
    },
    "sales_customer_unknown": {
        "en": 'No customer of yours has the {column} "{value}".',
        "pt": 'Nenhum cliente seu tem o {column} "{value}".',
    },
    "sales_customer_ambiguous": {
        "en": '{count} of your customers are called "{value}": use their external ids.',
        "pt": '{count} clientes seus se chamam "{value}": use os códigos deles.',
    },
    "sales_date_invalid": {
        "en": '"{value}" is not a date: use 2026-12-31 or 31/12/2026, not in the future, not before 2000.',
        "pt": '"{value}" não é uma data: use 31/12/2026 ou 2026-12-31, sem datas futuras '
        "nem anteriores a 2000.",
    },
    "sales_amount_invalid": {
        "en": '"{value}" is not an amount: use a number from 0 to {max_amount}.',
        "pt": '"{value}" não é um valor: use um número de 0 a {max_amount}.',
    },
}

# How each field is called in a sentence.
FIELD_LABELS: dict[str, dict[Language, str]] = {
    "name": {"en": "name", "pt": "nome"},
    "gender": {"en": "gender", "pt": "gênero"},
    "age": {"en": "age", "pt": "idade"},
    "annual_income": {"en": "annual income", "pt": "renda anual"},
    "income_amount": {"en": "income", "pt": "renda"},
    "external_id": {"en": "external id", "pt": "código"},
    "observed_score": {"en": "spending score", "pt": "pontuação"},
    "date": {"en": "date", "pt": "data"},
    "amount": {"en": "amount", "pt": "valor"},
    "phone": {"en": "phone", "pt": "telefone"},
    "email": {"en": "e-mail", "pt": "e-mail"},
}


def message(key: str, language: Language, **values: object) -> str:
    return _MESSAGES[key][language].format(**values)


def language_of(accept_language: str | None) -> Language:
    """The caller's preferred language among ours, by ``Accept-Language`` weights; English otherwise."""
    best: tuple[float, Language] = (0.0, "en")
    for index, part in enumerate((accept_language or "").split(",")[:20]):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language: Language | None = {"pt": "pt", "en": "en"}.get(tag.strip().lower()[:2])  # type: ignore[assignment]
        # Earlier entries win ties, as the header lists them in order of preference.
        score = weight - index * 1e-6
        if language is not None and score > best[0]:
            best = (score, language)
    return best[1]


def caller_language(accept_language: Annotated[str | None, Header()] = None) -> Language:
    return language_of(accept_language)


LanguageDep = Annotated[Language, Depends(caller_language)]
