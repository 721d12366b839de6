"""Mensagens em português (Brasil) das páginas da loja (clientes, cliente, painel, importar/exportar)."""

MESSAGES: dict[str, str] = {}
