"""Mensagens em português (Brasil) do issue 23: números digitados do jeito do idioma, dados fora do que o
modelo aprendeu e por que a pontuação é o que é."""

MESSAGES: dict[str, str] = {
    # --- números digitados (locale_numbers.py) ---
    "number.error.not_a_number": (
        "“{text}” não é um número: use algarismos e vírgula para os decimais (por exemplo {example})."
    ),
    "number.error.ambiguous": (
        "“{text}” pode ser lido de dois jeitos: você quis dizer {first} ou {second}? Em português os "
        "decimais levam vírgula e os milhares, ponto."
    ),
    # --- dados fora do que o modelo aprendeu (plausibility.py) ---
    "plausibility.age": (
        "A idade {value} está fora das idades com que o modelo aprendeu ({low} a {high}): confira. Se "
        "estiver certa, marque a caixa abaixo e salve de novo."
    ),
    "plausibility.annual_income": (
        "Uma renda de {value} está fora das rendas com que o modelo aprendeu ({low} a {high}): "
        "confira. Se estiver certa, marque a caixa abaixo e salve de novo."
    ),
    "plausibility.confirm": (
        "Estes valores estão certos: salvar mesmo assim, sabendo que a pontuação será só uma estimativa"
    ),
    # --- por que esta pontuação (explanation_view.py) ---
    "explain.title": "Por que esta pontuação",
    "explain.sentence": "O cliente médio do modelo tem pontuação {base}; {parts}.",
    "explain.up": "{what} puxa a pontuação para cima ({points})",
    "explain.down": "{what} puxa para baixo ({points})",
    "explain.none": "{what} não faz diferença",
    "explain.what.annual_income": "a renda de {value}",
    "explain.what.age": "a idade de {value} anos",
    "explain.what.gender": "o gênero {value}",
    "explain.chart.x": "Pontos de pontuação",
    "explain.chart.input": "Dado",
    "explain.chart.effect": "Efeito",
    "explain.chart.direction": "Sentido",
    "explain.chart.up": "para cima",
    "explain.chart.down": "para baixo",
    "explain.chart.description": (
        "Gráfico de barras dos pontos que cada dado do cliente soma ou tira da pontuação"
    ),
    "explain.missing": (
        "Esta pontuação foi calculada antes das explicações: calcule de novo para ver o porquê."
    ),
    # --- por que a sessão terminou (session.py, session_watch.py) ---
    "session.ended.deactivated": "Um administrador desativou sua conta, por isso sua sessão terminou.",
    "session.ended.deleted": "Sua conta foi excluída, por isso sua sessão terminou.",
    "session.ended.password_reset": (
        "Um administrador redefiniu sua senha: entre com a senha temporária que você recebeu."
    ),
    "session.ended.revoked": ("Sua sessão terminou porque sua senha ou seu acesso mudou. Entre novamente."),
    # --- uma história por cliente: faixa, segmento e os dois tipos concordam ---
    "story.segment.two_kinds": "o mais provável dos dois tipos, segundo o modelo",
    "story.segment.unclear": (
        "**Segmento: indefinido.** Clientes com este perfil se dividem em grupos que gastam de jeitos "
        "diferentes; a pontuação e a faixa acima são a melhor resposta única do modelo."
    ),
}
