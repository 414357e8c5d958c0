"""Small real-looking corpora for the keyword and language tests: planted topics in German,
Russian and Chinese, and code prompts full of punctuation next to plain chat prompts."""

from __future__ import annotations

import random

# language -> topic -> (templates, xs, ys): every template with every x and y is a prompt.
CORPORA: dict[str, dict[str, tuple[list[str], list[str], list[str]]]] = {
    "de": {
        "backen": (
            ["Wie backe ich {x} ohne {y}?", "Gib mir ein Rezept für {x} mit {y}.",
             "Bei welcher Temperatur muss {x} mit {y} in den Ofen?"],
            ["einen Apfelkuchen", "Brötchen", "einen Käsekuchen", "Lebkuchen", "ein Sauerteigbrot"],
            ["Eier", "Zucker", "Hefe", "Butter"],
        ),
        "steuern": (
            ["Wie reiche ich {x} ein, wenn ich {y}?", "Kann ich {x} absetzen, wenn ich {y}?",
             "Welcher Steuersatz gilt für {x}, wenn ich {y}?"],
            ["die Steuererklärung", "die Einkommensteuer", "die Umsatzsteuer", "Werbungskosten",
             "die Grundsteuer"],
            ["selbstständig bin", "im Ausland wohne", "geheiratet habe", "eine Wohnung vermiete"],
        ),
        "fussball": (
            ["Wer hat {x} {y} gewonnen?", "Welcher Spieler schoss in {x} {y} die meisten Tore?",
             "Welche Mannschaft ist Favorit in {x} {y}?"],
            ["der Bundesliga", "der Champions League", "dem DFB-Pokal", "der Weltmeisterschaft",
             "der Europameisterschaft"],
            ["im Finale", "in dieser Saison", "im Elfmeterschießen", "im Halbfinale"],
        ),
    },
    "ru": {
        "выпечка": (
            ["Как испечь {x} без {y}?", "Дай рецепт: {x}, нужно ли {y}?",
             "При какой температуре печь {x}, если нет {y}?"],
            ["яблочный пирог", "блины", "торт Наполеон", "пирожки с капустой", "хлеб на закваске"],
            ["яиц", "сахара", "дрожжей", "сливочного масла"],
        ),
        "налоги": (
            ["Как подать {x}, если я {y}?", "Можно ли получить {x}, если я {y}?",
             "Какая ставка налога на {x}, если я {y}?"],
            ["налоговую декларацию", "налоговый вычет", "налог на доходы", "налог на имущество",
             "возврат налога"],
            ["самозанятый", "живу за границей", "продал квартиру", "сдаю квартиру в аренду"],
        ),
        "футбол": (
            ["Кто выиграл {x} {y}?", "Какой игрок забил больше всех голов в {x} {y}?",
             "Какая команда фаворит в {x} {y}?"],
            ["чемпионат мира", "Лигу чемпионов", "чемпионат России", "Кубок России",
             "чемпионат Европы"],
            ["в финале", "в этом сезоне", "в серии пенальти", "в полуфинале"],
        ),
    },
    "zh": {
        "烘焙": (
            ["怎么在没有{y}的情况下烤{x}？", "请给我一个用{y}做{x}的食谱。",
             "烤{x}的时候放{y}需要多高的温度？"],
            ["苹果派", "蛋糕", "面包", "饼干", "月饼"],
            ["鸡蛋", "黄油", "酵母", "白糖"],
        ),
        "税务": (
            ["如果我{y}，应该怎么申报{x}？", "如果我{y}，可以扣除{x}吗？",
             "如果我{y}，{x}的税率是多少？"],
            ["个人所得税", "增值税", "房产税", "专项附加扣除", "年终奖"],
            ["是自由职业者", "在国外工作", "卖了房子", "出租公寓"],
        ),
        "足球": (
            ["谁赢得了{x}{y}？", "哪位球员在{x}{y}进球最多？", "哪支球队是{x}{y}的夺冠热门？"],
            ["世界杯", "欧冠联赛", "中超联赛", "英超联赛", "欧洲杯"],
            ["决赛", "本赛季", "点球大战", "半决赛"],
        ),
    },
}

CODE_PROMPTS = [
    'Why does print(print("hello")) output None in Python?\n```python\nprint(print("hello"))\n```',
    "My argparse code fails: parser.add_argument('--name', required=True) raises SystemExit",
    "Fix this: def add(a,b):return a+b;print(add(1,2)) gives a SyntaxError in Python",
    "What does `for i in range(len(nums)): nums[i]+=1` do to my Python list?",
    "Convert this loop to a list comprehension: result=[]\nfor x in data:\n  result.append(x*2)",
    "Explain lambda x: x**2 and map(lambda x: x**2, [1,2,3]) in Python",
    "Why is my dict.get('key', {}).get('inner') returning None in Python?",
    "pandas: df.groupby('city')['sales'].sum().reset_index() gives KeyError: 'sales'",
    "How do I read a CSV with pd.read_csv('data.csv', sep=';') and skip the first row?",
    "Python: open('out.txt','w').write(json.dumps(obj)) writes nothing, why?",
]
CHAT_PROMPTS = [
    "Can you suggest a relaxing weekend itinerary for a trip to Lisbon with my family?",
    "What are some good places to visit in Lisbon for a family holiday in the summer?",
    "Plan a three day holiday in Rome for a couple who love museums and food.",
    "Which sights in Rome should a family with small children visit on a holiday?",
    "Suggest a holiday itinerary for Barcelona: beaches, museums and tapas bars.",
    "What is the best time of year for a family holiday trip to Barcelona?",
    "Recommend a budget travel itinerary for a week of holiday in Paris.",
    "Where should we stay in Paris for a family holiday close to the museums?",
    "Help me plan a holiday trip to Vienna with concerts, cafes and museums.",
    "Give me a travel plan for a family holiday in Prague over the weekend.",
]


def planted(language: str, per_topic: int = 40, seed: int = 5) -> list[tuple[str, str]]:
    """(topic, prompt) pairs: `per_topic` distinct prompts of each planted topic, shuffled."""
    rng = random.Random(seed)
    rows = []
    for topic, (templates, xs, ys) in CORPORA[language].items():
        prompts = sorted({t.format(x=x, y=y) for t in templates for x in xs for y in ys})
        rows += [(topic, p) for p in rng.sample(prompts, min(per_topic, len(prompts)))]
    rng.shuffle(rows)
    return rows


def code_and_chat(copies: int = 4, seed: int = 5) -> list[tuple[str, str]]:
    """(topic, prompt) pairs: code and travel-chat prompts, each varied `copies` times."""
    rng = random.Random(seed)
    suffixes = ["", " Thanks!", " Please explain briefly.", " I am a beginner.", " Be concise.",
                " Any tips?"]
    rows = []
    for topic, prompts in (("code", CODE_PROMPTS), ("chat", CHAT_PROMPTS)):
        for prompt in prompts:
            rows += [(topic, prompt + s) for s in suffixes[:copies]]
    rng.shuffle(rows)
    return rows
