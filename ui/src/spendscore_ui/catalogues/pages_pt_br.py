"""Mensagens em português (Brasil) das páginas da loja (clientes, cliente, painel, importar/exportar)."""

MESSAGES: dict[str, str] = {
    # --- formulário do cliente (criar e editar) ---
    "form.name": "Nome *",
    "form.gender": "Gênero *",
    "form.age": "Idade *",
    "form.age_placeholder": "anos",
    "form.income": "Renda anual (mil $) *",
    "form.income_placeholder": "milhares de dólares por ano",
    "form.observed": "Pontuação de gastos real (opcional)",
    "form.observed_placeholder": "de 1 a 100, se você souber",
    "form.observed_help": (
        "A pontuação que você mesmo mediu, se tiver uma. O segmento do cliente passa a segui-la, e o "
        "painel mostra o quanto o modelo acertou."
    ),
    "form.phone": "Telefone (opcional)",
    "form.phone_placeholder": "(11) 98765-4321",
    "form.email": "E-mail (opcional)",
    "form.email_placeholder": "maria@exemplo.com.br",
    "form.error.phone": "Informe o DDD e o número, como (11) 98765-4321, ou um número internacional com +.",
    "form.error.email": "Informe um e-mail como maria@exemplo.com.br.",
    "form.required_note": "Os campos marcados com \\* são obrigatórios.",
    "form.error.name_missing": "Informe o nome do cliente.",
    "form.error.name_too_long": "Use no máximo {max} caracteres.",
    "form.error.gender_missing": "Escolha feminino ou masculino.",
    "form.error.age_missing": "Informe a idade em anos.",
    "form.error.age_whole": "Informe a idade em anos completos.",
    "form.error.age_range": "{value} não é uma idade possível: informe entre {min} e {max} anos.",
    "form.error.income_missing": "Informe a renda anual, em milhares de dólares.",
    "form.error.income_range": "Informe uma renda entre 0 e {max} (milhares de dólares por ano).",
    "form.error.observed_range": "A pontuação de gastos é um número inteiro de {min} a {max}.",
    # --- o que a previsão quer dizer ---
    "view.interval": "80% dos clientes como este têm pontuação entre {low} e {high}.",
    "view.modes": (
        "Clientes como este são de dois tipos: uns têm pontuação por volta de {low}, outros por volta de "
        "{high}; {score} é a média dos dois, não uma pontuação típica."
    ),
    "view.warning.age": (
        "A idade {value} está fora das idades com que o modelo aprendeu ({low} a {high}): "
        "considere esta pontuação uma estimativa grosseira."
    ),
    "view.warning.income": (
        "Uma renda de {value} está fora das rendas com que o modelo aprendeu ({low} a {high}): "
        "considere esta pontuação uma estimativa grosseira."
    ),
    "view.warning.other": (
        "Estes dados estão fora do que o modelo aprendeu: considere esta pontuação uma estimativa grosseira."
    ),
    # --- lista de clientes ---
    "customers.title": "Clientes",
    "customers.admin_note": (
        "Estas páginas da loja mostram os clientes da sua própria loja, como para todo lojista; "
        "os clientes de outras lojas não aparecem aqui."
    ),
    "customers.add.button": "Adicionar cliente",
    "customers.add.title": "Adicionar cliente",
    "customers.add.submit": "Criar cliente",
    "customers.add.creating": "Criando e calculando a pontuação…",
    "customers.add.failed": "Não foi possível criar o cliente",
    "customers.created": "{name} criado(a): pontuação de gastos {score} ({band}).",
    "customers.created_toast": "{name} criado(a): pontuação {score}",
    "customers.created_pending": (
        "{name} criado(a). A pontuação está pendente: o serviço de previsão está indisponível, "
        "ela será preenchida automaticamente."
    ),
    "customers.open": "Abrir {name}",
    "customers.deleted": "{name} excluído(a)",
    "customers.search": "Buscar pelo nome",
    "customers.search_placeholder": "Digite o início de um nome, ou o seu código",
    "customers.filters": "Filtros e ordem",
    "customers.filters_active.one": "Filtros e ordem ({count} filtro ativo)",
    "customers.filters_active.other": "Filtros e ordem ({count} filtros ativos)",
    "customers.filter.gender": "Gênero",
    "customers.filter.band": "Faixa",
    "customers.filter.segment": "Segmento",
    "customers.filter.all": "Todos",
    "customers.sort": "Ordenar por",
    "customers.sort.newest": "Mais recentes",
    "customers.sort.first": "Mais antigos",
    "customers.sort.name_az": "Nome (A-Z)",
    "customers.sort.name_za": "Nome (Z-A)",
    "customers.sort.score_high": "Maior pontuação",
    "customers.sort.score_low": "Menor pontuação",
    "customers.sort.youngest": "Mais jovens",
    "customers.sort.oldest": "Mais velhos",
    "customers.load_failed": "Não foi possível carregar os clientes",
    "customers.welcome.title": "Boas-vindas ao SpendScore",
    "customers.welcome.text": (
        "Adicione os clientes da sua loja um a um, ou importe a planilha que você já tem. Cada cliente "
        "recebe uma pontuação de gastos de 1 a 100 e uma faixa (baixa, média, alta), para você saber a "
        "quem dar atenção."
    ),
    "customers.welcome.import": "Importar CSV",
    "customers.no_match": "Nenhum cliente corresponde a esta busca. Mude os filtros ou limpe a busca.",
    "customers.pending": "pendente",
    "customers.column.name": "Nome",
    "customers.column.external_id": "Seu código",
    "customers.column.score": "Pontuação",
    "customers.column.score_help": "Pontuação de gastos prevista, de 1 a 100",
    "customers.column.band": "Faixa",
    "customers.column.warning_help": (
        "⚠: os dados estão fora do que o modelo aprendeu (uma estimativa grosseira)"
    ),
    "customers.column.segment": "Segmento",
    "customers.column.gender": "Gênero",
    "customers.column.age": "Idade",
    "customers.column.income": "Renda (mil $)",
    "customers.column.added": "Adicionado em",
    "customers.showing.one": "Mostrando {first}–{last} de {count} cliente.",
    "customers.showing.other": "Mostrando {first}–{last} de {count} clientes.",
    "customers.click_hint": "Abra um cliente pelo nome (um link); ordene pelo cabeçalho de uma coluna.",
    # --- um cliente ---
    "customer.title": "Cliente",
    "customer.back": "Todos os clientes",
    "customer.choose": "Escolha um cliente na lista: clique na linha dele.",
    "customer.loading": "Carregando o cliente…",
    "customer.not_found": "Este cliente não existe (pode ter sido excluído).",
    "customer.load_failed": "Não foi possível carregar o cliente",
    "customer.score": "Pontuação de gastos",
    "customer.band": "Faixa",
    "customer.pending": "pendente",
    "customer.pending_note": (
        "A previsão mais recente está pendente: o serviço de previsão estava indisponível. "
        "Ela é concluída automaticamente assim que o serviço voltar a responder."
    ),
    "customer.segment": "**Segmento: {name}** ({how})",
    "customer.segment.observed": "pela pontuação que você informou",
    "customer.segment.predicted": "segundo o modelo",
    "customer.observed": "Pontuação de gastos real informada por você: {score} ({when}).",
    "customer.predict_again": "Prever de novo",
    "customer.predicting": "Calculando a previsão…",
    "customer.predict_failed": "Não foi possível prever",
    "customer.predicted": "Nova previsão: pontuação {score}",
    "customer.predicted_pending": "A nova previsão está pendente",
    "customer.delete": "Excluir",
    "customer.delete_confirm": (
        "Excluir **{name}**? O cliente vai para Excluídos recentemente com todo o histórico e pode ser "
        "restaurado de lá até ser removido definitivamente."
    ),
    "customer.delete_yes": "Sim, excluir",
    "customer.delete_cancel": "Cancelar",
    "customer.delete_failed": "Não foi possível excluir",
    "customer.edit": "Editar",
    "customer.save": "Salvar alterações",
    "customer.saving": "Salvando…",
    "customer.save_failed": "Não foi possível salvar",
    "customer.saved": "{name} salvo(a)",
    "customer.saved_score": "{name} salvo(a): pontuação {score}",
    "customer.nothing_changed": "Nada mudou.",
    "customer.history": "Histórico de previsões",
    "customer.no_scores": "Ainda não há previsão com pontuação.",
    "customer.history_caption.one": (
        "{count} previsão com pontuação. A área sombreada é o intervalo de 80%; as linhas tracejadas são "
        "os limites 25 e 75 entre as faixas baixa, média e alta."
    ),
    "customer.history_caption.other": (
        "{count} previsões com pontuação. A área sombreada é o intervalo de 80%; as linhas tracejadas são "
        "os limites 25 e 75 entre as faixas baixa, média e alta."
    ),
    "customer.column.when": "Prevista em",
    "customer.column.score": "Pontuação",
    "customer.column.band": "Faixa",
    "customer.column.interval": "Intervalo de 80%",
    "customer.column.model": "Versão do modelo",
    # --- painel ---
    "dashboard.title": "Painel",
    "dashboard.loading": "Carregando o painel…",
    "dashboard.load_failed": "Não foi possível carregar o painel",
    "dashboard.customers": "Clientes",
    "dashboard.average": "Pontuação média",
    "dashboard.low": "Baixa (abaixo de 25)",
    "dashboard.medium": "Média (25 a 75)",
    "dashboard.high": "Alta (acima de 75)",
    "dashboard.empty": (
        "**Ainda não há clientes.** Os gráficos aparecem assim que houver alguns: adicione-os um a um na "
        "página Clientes, ou importe uma planilha."
    ),
    "dashboard.empty.add": "Adicionar clientes",
    "dashboard.empty.import": "Importar CSV",
    "dashboard.scatter": "Clientes por renda e pontuação",
    "dashboard.scatter_caption": (
        "Cada ponto é um cliente, colorido pelo segmento; as pontuações que você informou aparecem como "
        "quadrados."
    ),
    "dashboard.segments": "Clientes por segmento",
    "dashboard.accuracy": "O quanto o modelo acertou",
    "dashboard.accuracy.none": (
        "Informe a pontuação de gastos real de alguns clientes (na página do cliente, em Editar) e este "
        "painel mostra o quanto o modelo acertou na sua loja."
    ),
    "dashboard.accuracy.mae.one": (
        "Em {count} cliente cuja pontuação você informou, o modelo errou em média {mae} pontos."
    ),
    "dashboard.accuracy.mae.other": (
        "Em {count} clientes cuja pontuação você informou, o modelo errou em média {mae} pontos."
    ),
    "dashboard.accuracy.coverage": "{share} ficaram dentro do intervalo de 80%.",
    "dashboard.accuracy.more_needed": (
        "A partir de 20 pontuações informadas, ele também mostra com que frequência o intervalo acertou."
    ),
    "dashboard.by_band": "Clientes por faixa",
    "dashboard.band_hint": "Clique em uma barra para ver esses clientes.",
    "dashboard.by_gender": "Clientes por gênero",
    "dashboard.histogram": "Como as pontuações se distribuem",
    "dashboard.by_age": "Pontuação média por grupo de idade",
    # --- gráficos ---
    "chart.customers": "Clientes",
    "chart.band": "Faixa",
    "chart.count_share": "{count} ({share})",
    # Nomes das colunas dos dados por trás dos gráficos (os títulos da tabela de "Mostrar os dados").
    "chart.data.count_share": "Clientes (parcela)",
    "chart.data.low": "Início do intervalo",
    "chart.data.high": "Fim do intervalo",
    "chart.data.threshold": "Limite entre faixas",
    "chart.data.from": "Pontuações de",
    "chart.data.to": "Pontuações até",
    "chart.history.x": "Previsão (horário local)",
    "chart.history.y": "Pontuação de gastos",
    "chart.history.when": "Quando",
    "chart.history.score": "Pontuação",
    "chart.history.interval": "Intervalo de 80%",
    "chart.history.band": "Faixa",
    "chart.history.model": "Modelo",
    "chart.histogram.x": "Pontuação de gastos",
    "chart.histogram.range": "{low} a {high}",
    "chart.age.x": "Grupo de idade",
    "chart.age.y": "Pontuação média",
    "chart.scatter.y": "Pontuação de gastos",
    "chart.scatter.segment": "Segmento",
    "chart.scatter.source": "Pontuação",
    "chart.scatter.observed": "informada por você",
    "chart.scatter.predicted": "prevista",
    "chart.history.description": (
        "Gráfico da pontuação de gastos deste cliente a cada previsão, com o intervalo de 80%"
    ),
    "chart.gender.description": "Gráfico de barras dos clientes por gênero",
    "chart.band.description": "Gráfico de barras dos clientes por faixa",
    "chart.histogram.description": (
        "Gráfico de barras de quantos clientes têm pontuação de 0 a 10, de 10 a 20 e assim por diante até 100"
    ),
    "chart.age.description": "Gráfico de barras da pontuação média por grupo de idade",
    "chart.scatter.description": (
        "Gráfico de dispersão dos clientes por renda anual e pontuação de gastos, uma cor por segmento"
    ),
    "chart.segments.description": "Gráfico de barras dos clientes por segmento",
    # --- importar / exportar ---
    "import.title": "Importar / exportar",
    "import.import": "Importar clientes",
    "import.explain": (
        "Um arquivo CSV ou Excel com uma linha de cabeçalho e as colunas nome, gênero, idade e renda anual "
        "(cabeçalhos em inglês também servem: name, gender, age, annual_income), até 10.000 linhas. Na "
        "dúvida, comece pelo modelo."
    ),
    "import.template_csv": "Modelo (CSV)",
    "import.template_xlsx": "Modelo (Excel)",
    "import.template_file": "modelo-clientes",
    "import.file": "Arquivo (CSV ou Excel)",
    "import.preview": "Primeiras linhas do arquivo:",
    "import.no_preview": "Não é possível pré-visualizar este arquivo aqui; o serviço vai verificá-lo.",
    "import.mode": "Se algumas linhas estiverem erradas",
    "import.mode.all": "Não importar nada e listar as linhas erradas",
    "import.mode.partial": "Importar as linhas boas e listar as erradas",
    "import.submit": "Importar",
    "import.running": "Importando {name} e calculando a pontuação de cada cliente…",
    "import.finished": "Importação concluída",
    "import.failed": "Nada foi importado",
    "import.nothing_imported": "Nada foi importado",
    "import.done.one": "{count} cliente importado.",
    "import.done.other": "{count} clientes importados.",
    "import.pending.one": (
        "{count} pontuação está pendente: o serviço de previsão está indisponível, ela é preenchida "
        "automaticamente."
    ),
    "import.pending.other": (
        "{count} pontuações estão pendentes: o serviço de previsão está indisponível, elas são preenchidas "
        "automaticamente."
    ),
    "import.rejected.one": "{count} linha não foi importada:",
    "import.rejected.other": "{count} linhas não foram importadas:",
    "import.updated.one": "{count} cliente já existente (mesmo código) foi atualizado.",
    "import.updated.other": "{count} clientes já existentes (mesmo código) foram atualizados.",
    "import.see_them": "Ver os clientes importados",
    "import.column.line": "Linha",
    "import.column.field": "Campo",
    "import.column.problem": "Problema",
    "import.export": "Exportar",
    "import.export_explain": (
        "Todos os clientes com a pontuação, a faixa e o intervalo mais recentes, em ordem de nome. O CSV "
        "abre direito no Excel."
    ),
    "import.export_explain_semicolon": (
        "Todos os clientes com a pontuação, a faixa e o intervalo mais recentes, em ordem de nome. O CSV "
        "usa ; e vírgula decimal, como o Excel em português espera."
    ),
    "import.export_csv": "Baixar CSV",
    "import.export_xlsx": "Baixar Excel",
    "import.export_file": "clientes",
    # --- issue 25: o que o intervalo quer dizer, em palavras simples ---
    "view.interval_outside": "Cerca de 1 em cada 5 pontuações reais cai fora desta faixa.",
    # --- issue 25: vendas, o modelo da sua loja, desvio ---
    "field.date": "Data",
    "field.amount": "Valor",
    "sales.import": "Importar vendas",
    "sales.explain": (
        "Um arquivo de vendas como o seu ponto de venda ou planilha o exporta (CSV ou Excel): o código ou "
        "o nome exato do cliente, a data e o valor de cada venda. A pontuação observada de cada cliente "
        "passa a ser o percentil (1 a 100) do que ele gastou nos 12 meses até a sua venda mais recente, "
        "entre os seus clientes com vendas. Uma pontuação digitada vale até a próxima importação de vendas."
    ),
    "sales.show": "Tenho um arquivo de vendas",
    "sales.file": "Arquivo de vendas (CSV ou Excel)",
    "sales.submit": "Importar vendas",
    "sales.done.one": "{count} venda importada.",
    "sales.done.other": "{count} vendas importadas.",
    "sales.scored.one": "A pontuação observada de {count} cliente agora vem das suas vendas.",
    "sales.scored.other": "As pontuações observadas de {count} clientes agora vêm das suas vendas.",
    "sales.source.sales": "Pontuação observada calculada a partir das suas vendas.",
    "model.store_title": "A correção própria da sua loja",
    "model.store": (
        "Cada loja também recebe uma correção própria deste modelo, aprendida com as pontuações "
        "observadas nela (digitadas, ou o percentil do que o cliente gastou nos 12 meses até a venda mais "
        "recente da loja). Ela lê a renda da loja numa escala própria (a partir de 30 pontuações) e depois "
        "soma um deslocamento e uma escala à pontuação; cada parte é puxada para nenhuma correção quanto "
        "menos evidência houver. Ela só responde quando erra menos que este modelo nas pontuações mais "
        "recentes da loja: as pontuações, das mais antigas às mais novas, são divididas em seis blocos e "
        "cada um dos cinco últimos é previsto a partir dos blocos anteriores (encadeamento para a frente, "
        "não validação cruzada embaralhada), o teste que importa para os próximos clientes. A faixa se "
        "alarga ou se estreita conforme os erros que ela cometeu nessas pontuações mais recentes, não nas "
        "que usou para aprender."
    ),
    "sales.source.typed": "Pontuação observada digitada por você.",
    "sales.of_customer.one": "{count} venda",
    "sales.of_customer.other": "{count} vendas",
    "sales.column.date": "Data",
    "sales.column.amount": "Valor",
    "store.title": "Modelo global vs a sua loja",
    "store.fit": "Ajustar de novo o modelo da sua loja",
    "store.not_fitted": (
        "Ainda não ajustado: importe vendas ou informe pontuações observadas e ajuste o modelo da sua loja."
    ),
    "store.reason.better_on_held_out": (
        "Aprendida com as suas pontuações mais antigas, a correção da sua loja errou menos nas mais "
        "recentes: agora ela responde pelos seus clientes."
    ),
    "store.reason.not_better_on_held_out": (
        "Aprendida com as suas pontuações mais antigas, a correção da sua loja não errou menos nas mais "
        "recentes: o modelo global continua respondendo."
    ),
    "store.reason.too_few_scores": (
        "Poucas pontuações observadas para aprender a sua loja (pelo menos 20): o modelo global continua "
        "respondendo."
    ),
    "store.column.model": "Modelo",
    "store.column.error": "Erro médio (pontos)",
    "store.column.coverage": "Pontuações reais dentro do intervalo de 80%",
    "store.global": "Modelo global",
    "store.yours": "Modelo da sua loja",
    "store.held_out.one": (
        "Medido na sua {count} pontuação observada mais recente, prevista só com as pontuações de datas "
        "anteriores."
    ),
    "store.held_out.other": (
        "Medido nas suas {count} pontuações observadas mais recentes, cada uma prevista só com as "
        "pontuações de datas anteriores."
    ),
    "store.income_scale": (
        "O modelo da sua loja lê a renda dos seus clientes como {share} do que você registrou: com essa "
        "renda, os clientes com que o modelo aprendeu gastam como os seus."
    ),
    "store.coverage": "com {count} pontuações, {share} observados é compatível com {low} a {high}.",
    "store.no_claim": (
        "Abaixo de {min} pontuações, essas coberturas são incertas demais para dizer como os intervalos "
        "da sua loja se comportam."
    ),
    "store.rescoring": "Recalculando as pontuações dos seus clientes: {done} de {total}.",
    "drift.title": "Seus clientes vs os clientes de treino do modelo",
    "drift.store": "Sua loja",
    "drift.training": "Dados de treino",
    "drift.column.feature": "O quê",
    "drift.column.who": "De quem",
    "drift.column.median": "Mediana",
    "drift.column.middle": "Metade do meio",
    "drift.middle": "{low} a {high}",
    "drift.feature.age": "Idade",
    "drift.feature.annual_income": "Renda anual (mil $)",
    "drift.error_title": "Erro médio das pontuações mostradas, por mês da pontuação observada",
    "drift.column.month": "Mês",
    "drift.column.count": "Pontuações",
    "drift.column.error": "Erro médio (pontos)",
    "drift.no_errors": "Ainda não há pontuações observadas para acompanhar o erro ao longo do tempo.",
    # --- issue 24 (listwork): todas as ordens, a exportação da visão, links de segmento ---
    "customers.sort.income_high": "Maior renda",
    "customers.sort.income_low": "Menor renda",
    "customers.sort.gender_fm": "Gênero (mulheres primeiro)",
    "customers.sort.gender_mf": "Gênero (homens primeiro)",
    "customers.sort.band_high": "Faixa (alta primeiro)",
    "customers.sort.band_low": "Faixa (baixa primeiro)",
    "customers.sort.segment_az": "Segmento (A-Z)",
    "customers.sort.segment_za": "Segmento (Z-A)",
    "customers.sort.external_az": "Seu código (A-Z)",
    "customers.sort.external_za": "Seu código (Z-A)",
    "customers.sort.updated_new": "Alterados recentemente",
    "customers.sort.updated_old": "Alterados há mais tempo",
    "customers.sort.observed_high": "Maior pontuação observada",
    "customers.sort.observed_low": "Menor pontuação observada",
    "customers.export_view": "Exportar esta visão (CSV)",
    "customers.export_view_help": (
        "Todos os clientes desta busca, destes filtros e desta ordem, não só desta página"
    ),
    "dashboard.segment_link": "Listar os clientes de “{name}” ({count})",
    "dashboard.band_link": "Listar os clientes da faixa “{band}” ({count})",
    "customer.segment_link": "Listar todos os clientes deste segmento",
    "customer.phone": "Telefone: {phone}",
    "customer.email": "E-mail: {email}",
    "customer.whatsapp": "WhatsApp",
    "customer.data_download": "Baixar tudo o que está guardado sobre este cliente (JSON)",
    "customer.data_download_help": "Dados, previsões e pontuações observadas: o que um pedido da LGPD pede",
    "customers.whatsapp_open": "Abrir conversa",
    "customers.saved_views": "Visões salvas",
    "customers.save_view": "Salvar esta visão",
    "customers.save_view.name": "Nome da visão",
    "customers.save_view.submit": "Salvar",
    "customers.save_view.failed": "Não foi possível salvar a visão",
}
