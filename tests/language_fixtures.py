"""Prompts that hold code, in English and in other languages, for language detection.

The first three are the ones the adversarial run of issue 13 saw dropped (py3langid said
Slovenian, Japanese and something else); the rest are written in the same spirit: a short
question naming a technology, a snippet with a one-line question, a traceback, markup.
"""

from __future__ import annotations

ENGLISH_WITH_CODE = [
    "Create a sierpinski triangle in XAML",
    "```python\nimport numpy as np\nx = np.arange(10)\ny = x.reshape(2, 5)\n```\n"
    "Why does this reshape fail when I change it to (3, 4)?",
    "How do I pick the walk length and the number of walks per node in node2vec? "
    "`node2vec.fit(window=10, min_count=1)`",
    "Write a SQL query: SELECT name, COUNT(*) FROM orders GROUP BY name HAVING COUNT(*) > 5",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n\nmake this faster",
    "Fix this bug:\n```js\nconst xs = [1, 2, 3];\nxs.map(x => { x * 2 });\n```",
    "What does `std::move` do in C++17?",
    "Convert this to TypeScript: function add(a, b) { return a + b; }",
    "I get `TypeError: 'NoneType' object is not subscriptable` when calling df.loc[idx]",
    "Explain kubectl apply -f deploy.yaml vs kubectl create -f deploy.yaml",
    "Write a regex that matches ISO dates like 2024-01-31",
    "<div class=\"card\"><img src=\"a.png\"></div> center the image in this div with css",
    "Refactor:\n\n    for i in range(len(items)):\n        print(items[i])\n",
    "How can I use useEffect with an async function in React?",
    "Rust: impl Iterator for my struct Counter { count: u32 } please",
    "awk '{print $2}' file.txt | sort | uniq -c explain",
    "Why is my Dockerfile `RUN pip install -r requirements.txt` step never cached?",
    "Write a bash one-liner to rename *.jpeg to *.jpg",
    "Implement quicksort in Haskell",
    "```\nTraceback (most recent call last):\n  File \"app.py\", line 3, in <module>\n"
    "    import torch\nModuleNotFoundError: No module named 'torch'\n```\nhow to fix",
]

OTHER_WITH_CODE = [
    ("zh", "```python\nprint('hello')\n```\n这段代码为什么在我的电脑上不能运行？请帮我解释一下。"),
    ("ru", "Почему этот код выдаёт ошибку?\n```js\nlet a = [1, 2, 3]; a.push(4)\n```"),
    ("de", "Wie kann ich in Python eine Liste sortieren, ohne die ursprüngliche Liste zu ändern? "
           "`sorted(xs)` oder `xs.sort()`?"),
    ("es", "¿Cómo puedo leer un archivo CSV con pandas y quedarme solo con dos columnas? "
           "df = pd.read_csv('datos.csv')"),
    ("fr", "Pourquoi ma requête SQL est-elle si lente ? SELECT * FROM commandes WHERE "
           "client_id = 42"),
    ("ja", "このPythonコードのバグを直してください。\n    for i in range(10):\n        print(i"),
    ("pt", "Como faço para centralizar uma div com flexbox? `display: flex;` não funcionou"),
    ("ko", "다음 자바스크립트 코드가 무엇을 하는지 설명해 주세요: "
           "const x = arr.filter(a => a > 2);"),
]
