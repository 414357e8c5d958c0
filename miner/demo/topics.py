"""The demo corpus's topics: subjects to fill in, and prompt templates by difficulty.

Each topic has its own vocabulary so that the topics are findable by clustering, and three
kinds of templates: `easy` (short look-up questions), `medium` (a specific task) and `hard`
(a specific, constrained, real-world problem that needs domain knowledge). `{x}` and `{y}`
are two different subjects of the topic, `{n}` a number and `{ctx}` a real-world setting.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Topic:
    """One demo topic."""

    name: str
    subjects: tuple[str, ...]
    easy: tuple[str, ...]
    medium: tuple[str, ...]
    hard: tuple[str, ...]


CONTEXTS = (
    "for my team at a logistics startup", "for a client project due Friday",
    "for our production system that serves 2 million users", "for my small business",
    "for the clinic where I work", "for my company's quarterly review",
    "for our customers in the EU", "for a school project I am grading",
)

TOPICS: tuple[Topic, ...] = (
    Topic(
        "python",
        ("list comprehension", "decorator", "generator", "asyncio event loop", "pandas DataFrame",
         "dictionary", "virtual environment", "type hint", "context manager", "pytest fixture",
         "dataclass", "f-string", "lambda function", "numpy array"),
        ("What is a {x} in Python?", "How do I use a {x} in python?",
         "Can you show a simple python {x} example?", "what does {x} mean in python",
         "Python {x} vs {y}, which is better?"),
        ("Write a Python function that uses a {x} to remove duplicates from a list and explain "
         "how it works.",
         "Explain the difference between a {x} and a {y} in Python with a short code example.",
         "Refactor this python code to use a {x} instead of a loop: for i in range(10): "
         "result.append(i * i)",
         "Debug my Python script: it raises KeyError when I read a {x} from a JSON file."),
        ("My Python service {ctx} leaks memory: every request creates a {x} and a {y} that are "
         "never freed. Explain step by step how to profile it with tracemalloc, implement a fix "
         "that must keep the API unchanged, add a unit test, and state the time complexity of "
         "your solution. ```def handle(req): cache[req.id] = build(req)```",
         "Design and implement a Python {x} that retries a flaky database call at most {n} "
         "times with exponential backoff and jitter. It must be async, must not block the event "
         "loop, and each retry should be logged. Explain why your design is correct and give "
         "the exact complexity. Write pytest tests that verify every edge case.",
         "Optimize this Python algorithm {ctx}: it sorts {n} million records with a {x} and "
         "then groups them with a {y}. Profile it, explain why it is slow, and rewrite it so "
         "that it runs in O(n log n) with less memory; ensure the output is exactly the same."),
    ),
    Topic(
        "sql",
        ("LEFT JOIN", "GROUP BY", "window function", "index", "primary key", "foreign key",
         "subquery", "common table expression", "transaction isolation level", "deadlock",
         "PostgreSQL", "query plan", "materialized view", "stored procedure"),
        ("What is a {x} in SQL?", "what does {x} do", "Explain {x} in databases simply.",
         "SQL {x} vs {y}?", "Is {x} supported in MySQL?"),
        ("Write an SQL query using a {x} that returns the top 3 customers by revenue per "
         "month.",
         "Explain when a {x} is faster than a {y} in PostgreSQL, with an example query.",
         "How do I fix a {x} error in my SQL database migration?",
         "Convert this query to use a {x}: SELECT * FROM orders WHERE id IN (SELECT ...)"),
        ("Our PostgreSQL database {ctx} hits a {x} every night during the batch job. Analyze "
         "the likely causes, explain how the {y} interacts with it, and design a fix step by "
         "step. The fix must not require downtime and should keep every query correct. Provide "
         "the exact SQL and explain how to verify it in production.",
         "Design a database schema {ctx} for invoices, customers and payments with a {x} and a "
         "{y}. It must support refunds, at least {n} currencies and audit history. Write the "
         "SQL DDL, explain each index and calculate the expected query complexity.",
         "Optimize this slow SQL query that takes {n} seconds on 50 million rows: SELECT "
         "customer_id, SUM(amount) FROM payments GROUP BY customer_id; using a {x}. Explain "
         "the query plan, derive why the {y} is not used, and ensure the result is exactly the "
         "same."),
    ),
    Topic(
        "javascript",
        ("React hook", "promise", "closure", "event listener", "async/await", "TypeScript "
         "interface", "useEffect", "Node.js stream", "CSS flexbox", "DOM node", "webpack config",
         "JSON.parse", "fetch API", "Redux store"),
        ("What is a {x} in JavaScript?", "how to use {x} in js", "Explain {x} to a beginner.",
         "javascript {x} vs {y}", "Why is my {x} undefined?"),
        ("Write a JavaScript function that uses a {x} to debounce a search input.",
         "Explain the difference between a {x} and a {y} in JavaScript with examples.",
         "Fix this React component: the {x} runs in an infinite loop when the state changes.",
         "Convert this callback code to use a {x}: fs.readFile(path, function(err, data) {{...}})"),
        ("Our React app {ctx} re-renders {n} times on every keystroke because of a {x} and a "
         "{y}. Analyze why, explain step by step how to debug it with the profiler, and "
         "implement a fix that must keep the behaviour exactly the same. Write a unit test "
         "with Jest that verifies the render count. ```function Search() {{ useEffect(...); }}```",
         "Design and implement a TypeScript {x} for a Node.js API {ctx} that streams {n} MB "
         "CSV uploads to S3 without loading them into memory. It must handle backpressure, "
         "each error must be retried at most 3 times, and you should explain why the design "
         "is correct.",
         "Debug this async JavaScript: the {x} resolves before the {y} finishes, so our "
         "production checkout sometimes charges customers twice. Explain the race condition, "
         "fix it, and ensure the fix is correct under concurrency."),
    ),
    Topic(
        "rust",
        ("borrow checker", "lifetime", "trait object", "Box<dyn Trait>", "Arc<Mutex<T>>",
         "iterator adapter", "Result type", "ownership", "cargo workspace", "tokio runtime",
         "unsafe block", "macro_rules", "Send and Sync", "smart pointer"),
        ("What is the {x} in Rust?", "rust {x} explained", "Why does Rust need a {x}?",
         "{x} vs {y} in rust", "Is {x} like a pointer in C++?"),
        ("Write a Rust function that uses an {x} to parse numbers from a string and return a "
         "Result.",
         "Explain how the {x} and the {y} interact in Rust with a code example.",
         "Fix this Rust error from the {x}: cannot borrow `v` as mutable more than once at a "
         "time.",
         "Convert this C++ class to idiomatic Rust using a {x}."),
        ("Implement a lock-free ring buffer in Rust {ctx} using {x} and {y}. It must be Send "
         "and Sync, must never allocate after construction and should hold at most {n} items. "
         "Explain why it is memory safe, prove it has no data race, and write tests that "
         "verify each edge case. ```struct Ring<T> {{ buf: Vec<T> }}```",
         "Our Rust service {ctx} deadlocks under load: two tasks on the {x} hold an {y} and "
         "wait on each other. Analyze the cause step by step, design a fix that must keep "
         "latency below {n} ms, and explain how to verify it with loom.",
         "Design a Rust plugin system using {x} and {y} that loads {n} plugins at runtime. "
         "Explain the lifetime issues, implement the trait, and ensure no unsafe code leaks "
         "into the public API."),
    ),
    Topic(
        "devops",
        ("Kubernetes pod", "Docker image", "Helm chart", "CI pipeline", "Terraform module",
         "nginx reverse proxy", "load balancer", "Prometheus alert", "systemd service",
         "Linux cron job", "SSH key", "container registry", "ingress controller", "DNS record"),
        ("What is a {x}?", "how do i restart a {x}", "Explain {x} in simple words.",
         "{x} vs {y}?", "What port does a {x} use?"),
        ("Write a Dockerfile and a {x} to deploy a small Flask app.",
         "Explain how a {x} and a {y} work together in Kubernetes.",
         "How do I fix CrashLoopBackOff in my {x}?",
         "Write a bash script that backs up a {x} every night and keeps 7 copies."),
        ("Our Kubernetes cluster {ctx} drops {n}% of requests during every deploy of the {x}. "
         "Analyze the likely causes involving the {y}, readiness probes and connection "
         "draining, design a zero-downtime rollout step by step, and explain how to verify it "
         "in production with Prometheus before the next release.",
         "Design a Terraform {x} {ctx} that provisions a {y}, a private network and "
         "autoscaling for at least {n} nodes. It must be reusable across 3 environments, "
         "secrets must never be in state, and you should explain each security decision.",
         "Debug this CI pipeline: the {x} build takes {n} minutes because the {y} cache is "
         "never reused. Explain why, fix the config, and ensure builds stay reproducible."),
    ),
    Topic(
        "machine_learning",
        ("gradient descent", "neural network", "transformer", "overfitting", "learning rate",
         "random forest", "cross-validation", "embedding", "attention mechanism",
         "batch normalization", "logistic regression", "tensor", "loss function",
         "confusion matrix"),
        ("What is {x} in machine learning?", "explain {x} simply", "Why do we use {x}?",
         "{x} vs {y}?", "Is {x} deep learning?"),
        ("Write PyTorch code that trains a small {x} on MNIST and explain each step.",
         "Explain the difference between {x} and {y} with an example.",
         "My model shows {x}: training accuracy 99% but validation 60%. What should I do?",
         "Calculate the output shape of a {x} with input 32x3x224x224."),
        ("Our fraud-detection model {ctx} has precision 0.91 but recall 0.42 on a dataset "
         "where only {n} of 10,000 transactions are fraud. Analyze why, compare {x} and {y} as "
         "remedies, derive how the threshold changes the confusion matrix, and design an "
         "evaluation that must be statistically correct before we deploy it to production.",
         "Implement {x} from scratch in numpy with a {y}, derive the gradient of the loss "
         "step by step, prove it matches the PyTorch result within 1e-6, and explain the "
         "complexity for {n} samples. ```def forward(x): ...```",
         "Design a training pipeline {ctx} for a {x} on {n} GB of text. It must fit one GPU, "
         "each experiment should be reproducible, and you must explain how you would verify "
         "there is no data leakage between splits."),
    ),
    Topic(
        "calculus",
        ("integral", "derivative", "limit", "Taylor series", "chain rule",
         "integration by parts", "partial derivative", "differential equation",
         "Riemann sum", "L'Hopital's rule", "gradient", "power series", "double integral",
         "convergence test"),
        ("What is a {x}?", "how do you find a {x}", "Explain the {x} simply.",
         "{x} vs {y}", "What is the {x} of x^2?"),
        ("Solve the {x} of x^2 * sin(x) step by step.",
         "Explain when to use the {x} instead of the {y}, with one worked example.",
         "Calculate the {x} of 3x^3 - 2x + 1 and check the answer.",
         "Find the {x} of e^(2x) / (1 + x^2)."),
        ("Prove that the {x} of f(x) = x^{n} * e^(-x) over [0, infinity) equals {n}! using "
         "the {y}. Show each step, verify the base case, and explain why the improper "
         "integral converges. Then derive the exact value for n = 5 and check it numerically.",
         "Solve the {x} dy/dx = {n}y - 3y^2 with y(0) = 1 using the {y}. Derive the closed "
         "form, prove the solution is unique, analyze the equilibrium points and explain the "
         "long-run behaviour precisely.",
         "A tank {ctx} drains so that its height h satisfies dh/dt = -{n} * sqrt(h). Use the "
         "{x} and the {y} to calculate exactly when it is empty if h(0) = 16 m, and verify "
         "the result with a Riemann sum estimate."),
    ),
    Topic(
        "statistics",
        ("p-value", "confidence interval", "standard deviation", "Bayes theorem",
         "normal distribution", "t-test", "linear regression", "chi-square test",
         "sample size", "correlation", "binomial distribution", "A/B test", "median",
         "hypothesis test"),
        ("What is a {x}?", "how to calculate {x}", "Explain {x} like I'm five.", "{x} vs {y}",
         "Is a {x} of 0.05 good?"),
        ("Calculate the {x} for the data 4, 8, 15, 16, 23, 42 and explain each step.",
         "Explain the difference between a {x} and a {y} with an example.",
         "When should I use a {x} instead of a {y}?",
         "Compute the probability of at least 2 heads in 5 fair coin flips."),
        ("We ran an {x} {ctx}: variant A converted 120 of {n}00 visitors, variant B 150 of "
         "{n}00. Calculate the {y} exactly, derive the confidence interval step by step, "
         "explain whether the result is statistically significant and what sample size we "
         "must collect to detect a 1% lift with 80% power.",
         "Derive the {x} estimator for a {y} from first principles, prove it is unbiased, "
         "compute its variance, and verify with a simulation of {n} samples in Python that "
         "the formula is correct.",
         "A diagnostic test {ctx} has sensitivity 0.95 and specificity 0.9 for a condition "
         "with prevalence 1 in {n}. Use {x} to calculate exactly the probability a positive "
         "patient is sick, and explain why the {y} misleads clinicians."),
    ),
    Topic(
        "physics",
        ("Newton's second law", "kinetic energy", "momentum", "electric field", "entropy",
         "quantum tunneling", "special relativity", "friction", "projectile motion",
         "wave interference", "Ohm's law", "magnetic flux", "thermodynamics", "torque"),
        ("What is {x}?", "explain {x}", "Who discovered {x}?", "{x} vs {y} physics",
         "Why does {x} matter?"),
        ("Calculate the {x} of a 2 kg ball moving at 3 m/s and explain the formula.",
         "Explain the link between {x} and {y} with a real example.",
         "Solve this projectile problem: launched at 20 m/s at 30 degrees, find the range.",
         "How does {x} apply to a car braking on a wet road?"),
        ("A {n} kg satellite {ctx} orbits at 400 km. Using {x} and {y}, derive its orbital "
         "speed and period step by step, calculate the exact energy needed to raise it to 800 "
         "km, and verify the answer with conservation of energy. Explain every approximation.",
         "Derive the transmission probability for {x} through a rectangular barrier of height "
         "{n} eV, prove the limit for thick barriers, and compute the exact value for an "
         "electron with the {y}. Explain why the classical result fails.",
         "Design a braking system {ctx} for a 1,200 kg cart going {n} m/s that must stop "
         "within 15 m. Calculate the required friction coefficient with {x}, analyze the heat "
         "from {y}, and verify each number."),
    ),
    Topic(
        "chemistry",
        ("covalent bond", "pH", "oxidation state", "molarity", "catalyst", "enzyme",
         "equilibrium constant", "Lewis structure", "titration", "activation energy",
         "organic reaction", "periodic table", "molecule polarity", "buffer solution"),
        ("What is {x} in chemistry?", "explain {x}", "How to find {x}?", "{x} vs {y}",
         "Why is {x} important?"),
        ("Calculate the {x} of a 0.01 M HCl solution and explain the steps.",
         "Explain how a {x} changes the {y} of a reaction.",
         "Balance this equation and give the oxidation state of each atom: Fe + O2 -> Fe2O3",
         "Draw the Lewis structure of CO2 and explain its {x}."),
        ("Our lab {ctx} must prepare {n} L of a phosphate {x} at pH 7.4. Calculate exactly "
         "how many grams of each salt are needed using the Henderson-Hasselbalch equation, "
         "explain how the {y} shifts with temperature, and design a step by step protocol to "
         "verify the pH.",
         "Derive the rate law for an enzyme with a competitive inhibitor, prove the "
         "Lineweaver-Burk plot changes only its slope, and calculate the {x} from {n} "
         "measurements. Explain how the {y} affects the result precisely.",
         "Analyze why this {x} gives a 40% yield instead of 90% {ctx}, propose a mechanism "
         "involving the {y}, and design {n} experiments that must isolate the cause."),
    ),
    Topic(
        "biology",
        ("DNA replication", "CRISPR", "mitochondria", "photosynthesis", "gene expression",
         "natural selection", "protein folding", "cell membrane", "immune system",
         "RNA polymerase", "mutation", "microbiome", "genome sequencing", "meiosis"),
        ("What is {x}?", "explain {x} simply", "How does {x} work?", "{x} vs {y}",
         "Where does {x} happen?"),
        ("Explain the steps of {x} and how it relates to {y}.",
         "Describe how {x} is used in modern medicine with an example.",
         "Compare {x} and {y} in a table.",
         "Why can a single {x} cause a disease?"),
        ("Design a CRISPR experiment {ctx} that knocks out a gene involved in {x} in {n} cell "
         "lines. Explain step by step how to choose guide RNAs, analyze off-target risks with "
         "{y}, and describe the controls that must verify the knockout is correct.",
         "Our genome sequencing pipeline {ctx} reports {n} variants per sample, far more than "
         "expected. Analyze whether {x} or {y} explains it, derive the expected error rate, "
         "and design a statistical check to verify each variant call.",
         "Explain precisely how {x} and {y} interact during infection, compare the two "
         "hypotheses in the literature, and design an experiment with at least {n} mice that "
         "would falsify one of them."),
    ),
    Topic(
        "medicine",
        ("blood pressure", "diabetes", "antibiotic", "vaccine", "cholesterol", "migraine",
         "ibuprofen", "insulin", "thyroid", "asthma", "dosage", "side effect", "MRI scan",
         "allergy"),
        ("What is {x}?", "is {x} dangerous", "What causes {x}?", "{x} vs {y}",
         "How long does {x} last?"),
        ("Explain how {x} affects {y} and what a patient should ask their doctor.",
         "What are the common side effects of {x} and how are they managed?",
         "Summarize the current guidelines for treating {x}.",
         "How do doctors diagnose {x}?"),
        ("A 67-year-old patient {ctx} with {x} and kidney disease takes {n} medications. "
         "Analyze the clinical interactions involving {y}, calculate the renal dosage "
         "adjustment step by step from the creatinine clearance, and explain which changes a "
         "clinician must verify before discharge.",
         "Design a clinical trial {ctx} comparing two treatments for {x} with at least {n} "
         "patients. Calculate the sample size for 80% power, explain the randomization, and "
         "analyze how {y} could bias the result.",
         "Explain precisely the pharmacology of {x} and {y}, compare their mechanisms, and "
         "derive the dosage for a {n} kg child from the adult dose with the correct formula."),
    ),
    Topic(
        "law",
        ("contract", "copyright", "trademark", "lease agreement", "non-compete clause",
         "GDPR", "liability", "small claims court", "will and testament", "employment law",
         "patent", "NDA", "tenant rights", "statute of limitations"),
        ("What is a {x}?", "is a {x} legal", "How does {x} work?", "{x} vs {y}",
         "Do I need a lawyer for a {x}?"),
        ("Explain what a {x} must contain and what happens if it is broken.",
         "My landlord kept my deposit. What does {x} say about {y}?",
         "Summarize the main rules of {x} for a small business.",
         "Draft a simple {x} for freelance design work."),
        ("Our startup {ctx} stores customer emails in the US. Analyze our obligations under "
         "{x}, explain how {y} applies when a customer asks for deletion, and design a "
         "compliance plan step by step that must be ready within {n} days. Cite the exact "
         "articles.",
         "Draft a {x} {ctx} for a software contractor that must include IP assignment, a "
         "{y}, a liability cap of {n} times the fees and termination rules. Explain why each "
         "clause is enforceable and what could make it void.",
         "Compare how a {x} and a {y} protect an invention, analyze which fits a company with "
         "{n} employees and a mobile app, and explain the exact costs and deadlines."),
    ),
    Topic(
        "finance",
        ("compound interest", "index fund", "mortgage", "credit score", "capital gains tax",
         "retirement account", "inflation", "budget", "stock option", "bond yield",
         "emergency fund", "dividend", "portfolio", "tax deduction"),
        ("What is {x}?", "how does {x} work", "Is {x} a good idea?", "{x} vs {y}",
         "How much {x} do I need?"),
        ("Calculate the {x} on $10,000 at 5% for 10 years and explain the formula.",
         "Explain how {x} and {y} affect my savings.",
         "Make a monthly budget for a $4,000 income with rent of $1,500.",
         "Should I pay off my {x} or invest in an {y}?"),
        ("I am 35, earn ${n}0,000 a year {ctx}, and have a $300,000 {x}. Calculate exactly "
         "whether refinancing from 6.5% to 5.9% with $6,000 fees pays off, compare it with "
         "investing in an {y}, and explain step by step which assumptions must hold.",
         "Design a retirement portfolio for a couple with $900,000 across an {x} and a {y}. "
         "It must keep 4% withdrawals safe for 30 years; calculate the expected return, "
         "analyze sequence risk and explain the tax consequences precisely.",
         "Our small business {ctx} must decide between leasing and buying a $80,000 vehicle. "
         "Calculate the net present value of both over {n} years with the {x}, include the "
         "{y}, and explain which is better."),
    ),
    Topic(
        "marketing",
        ("SEO", "email campaign", "landing page", "brand voice", "customer persona",
         "conversion rate", "social media ad", "content calendar", "influencer marketing",
         "press release", "product launch", "newsletter", "Google Ads", "market research"),
        ("What is {x}?", "tips for {x}", "How do I start with {x}?", "{x} vs {y}",
         "Is {x} worth it?"),
        ("Write a short {x} for a new eco-friendly water bottle.",
         "Give me 10 ideas to improve our {x} for a bakery.",
         "Explain how {x} and {y} work together for a small shop.",
         "Create a one-month {x} for a yoga studio."),
        ("Our SaaS startup {ctx} has a {x} of 1.2% and a churn of {n}% per month. Analyze the "
         "funnel, design an experiment plan with the {y} that must raise conversion to 2% "
         "within a quarter, calculate the budget each channel needs and explain how we will "
         "measure it precisely.",
         "Create an original {x} strategy {ctx} for launching a B2B analytics product to "
         "{n} target accounts. It must include a {y}, each channel's budget, a timeline and "
         "KPIs, and explain why each choice fits our customer persona.",
         "Brainstorm a creative {x} for our brand that must work in 3 markets, then analyze "
         "its risks, compare it with a {y}, and estimate the reach for a ${n},000 budget."),
    ),
    Topic(
        "creative_writing",
        ("short story", "fantasy novel", "science fiction plot", "mystery", "villain",
         "dialogue", "opening line", "fairy tale", "character arc", "plot twist",
         "horror story", "love story", "dragon", "time travel"),
        ("Write a {x}.", "Give me an idea for a {x}.", "Write a {x} about a cat.",
         "Tell me a {x}", "Write a sad {x}."),
        ("Write a 300-word {x} about a lighthouse keeper with a {y}.",
         "Create a {x} for a story set in Tokyo in 2150.",
         "Write the {x} of a novel where the narrator is a ghost.",
         "Invent a {x} with a {y} for a children's book."),
        ("Write an original {x} of about 800 words told in second person, where the {y} is "
         "revealed only in the last line. It must follow three-act structure, each scene "
         "should use a different sense, and avoid every cliché. Then explain how each choice "
         "builds suspense.",
         "Design the world for a {x} series: a magic system with exactly {n} rules and a "
         "cost, three factions, and a {y}. Write a 500-word opening scene that shows the "
         "rules without exposition, and explain why the system is consistent.",
         "Rewrite the myth of Icarus as a {x} set in a startup {ctx}, keeping the {y}, in "
         "{n} short chapters with a twist ending; explain the metaphor you chose."),
    ),
    Topic(
        "poetry",
        ("haiku", "sonnet", "limerick", "free verse poem", "rap verse", "song chorus",
         "ballad", "ode", "love poem", "villanelle", "lullaby", "acrostic poem", "elegy",
         "song lyrics"),
        ("Write a {x}.", "Write a {x} about the sea.", "a {x} about my dog",
         "Write a funny {x}.", "Write a short {x} about rain."),
        ("Write a {x} about autumn in the style of Emily Dickinson.",
         "Write a {x} and a {y} on the same theme: leaving home.",
         "Write a {x} for my mother's 60th birthday.",
         "Write {x} about coffee with an ABAB rhyme scheme."),
        ("Write an original {x} about climate change that must follow the strict form "
         "exactly: correct meter, rhyme scheme and {n} lines, using the {y} as an extended "
         "metaphor. Then analyze each stanza and explain precisely how the form supports the "
         "meaning.",
         "Compose a {x} in iambic pentameter about a programmer debugging at 3 a.m., with a "
         "volta in line 9, and a {y} version of the same poem. Explain every formal choice and "
         "check the meter of each line.",
         "Write {n} linked {x}s that tell one story backwards in time, each must end with the "
         "first word of the next, and explain the structure."),
    ),
    Topic(
        "cooking",
        ("sourdough bread", "risotto", "chocolate cake", "pasta sauce", "curry", "omelette",
         "roast chicken", "vegan burger", "pancakes", "sushi rice", "lasagna", "ramen broth",
         "banana bread", "stir fry"),
        ("How do I make {x}?", "easy {x} recipe", "What goes well with {x}?", "{x} vs {y}",
         "How long to cook {x}?"),
        ("Give me a recipe for {x} for 4 people with a shopping list.",
         "How can I make {x} without eggs?",
         "What is the best way to store {x} and {y}?",
         "Plan a dinner menu with {x} and {y}."),
        ("I run a small restaurant {ctx} and need to scale my {x} recipe from 4 to {n} "
         "servings. Calculate exact quantities, adjust cooking time and temperature for a "
         "commercial oven, explain why baking chemistry changes at scale, and plan the prep "
         "so that each batch is ready at 6 pm alongside the {y}.",
         "Design a 7-day meal plan with {x} and {y} for a family of 4 that must stay under "
         "$100, meet 2,000 kcal per adult and at least {n} g protein a day; calculate the "
         "macros for each day.",
         "My {x} fails every time: dense and sour. Analyze the likely causes step by step "
         "(hydration, starter, temperature), and design {n} experiments to fix it."),
    ),
    Topic(
        "travel",
        ("Japan", "Italy", "Iceland", "Paris", "New York", "Thailand", "a road trip",
         "a backpacking trip", "Peru", "Morocco", "a cruise", "Barcelona", "Canada",
         "a ski resort"),
        ("Best time to visit {x}?", "what to see in {x}", "Is {x} expensive?",
         "{x} or {y} for a holiday?", "Do I need a visa for {x}?"),
        ("Plan a 5-day itinerary for {x} on a mid-range budget.",
         "What should I pack for {x} in winter?",
         "Compare {x} and {y} for a family with two kids.",
         "Give me tips for traveling to {x} alone."),
        ("Plan a {n}-day trip through {x} and {y} for 6 people {ctx} with a $9,000 budget. "
         "It must include trains, each night's lodging, one rest day, and at most 4 hours of "
         "travel per day; calculate the cost per person and explain each choice.",
         "Design a wheelchair-accessible itinerary for {x} for {n} days; every site must be "
         "step-free, and explain how you verified each one and what backup plan to use.",
         "Compare {x} and {y} for a 2-week trip {ctx}: estimate flights, lodging and food "
         "for {n} people and explain the exact trade-offs."),
    ),
    Topic(
        "history",
        ("the French Revolution", "the Roman Empire", "World War I", "the Cold War",
         "the Industrial Revolution", "the Ming dynasty", "the Renaissance",
         "the American Civil War", "ancient Egypt", "the Silk Road", "the Ottoman Empire",
         "the printing press", "the fall of the Berlin Wall", "the Meiji Restoration"),
        ("What was {x}?", "when did {x} happen", "Who started {x}?", "{x} vs {y}",
         "Why is {x} important?"),
        ("Explain the main causes of {x} in 5 points.",
         "Compare {x} and {y} in terms of their economic effects.",
         "Summarize {x} for a high school student.",
         "What were the consequences of {x} for Europe?"),
        ("Analyze how historians' explanations of {x} changed between 1900 and today, compare "
         "at least {n} schools of thought, and explain which primary sources support each. "
         "Then argue, with evidence, whether {y} was a cause or a consequence.",
         "Write a counterfactual analysis: if {x} had not happened, how would {y} have "
         "unfolded? It must rely on specific evidence and explain each assumption.",
         "Compare the economic policies of {x} and {y} with exact figures, and explain which "
         "lessons apply to a modern economy {ctx}."),
    ),
    Topic(
        "philosophy",
        ("utilitarianism", "free will", "the trolley problem", "existentialism", "stoicism",
         "Kant's categorical imperative", "the meaning of life", "moral relativism",
         "consciousness", "the ship of Theseus", "nihilism", "virtue ethics", "determinism",
         "Plato's cave"),
        ("What is {x}?", "explain {x}", "Who came up with {x}?", "{x} vs {y}",
         "Is {x} true?"),
        ("Explain {x} and give an everyday example.",
         "Compare {x} and {y} in a short essay.",
         "What are the main objections to {x}?",
         "How would a follower of {x} answer the question of lying to protect a friend?"),
        ("Construct a rigorous argument that {x} is compatible with {y}, state each premise "
         "precisely, prove the conclusion follows, then analyze the {n} strongest objections "
         "and explain which premise each attacks.",
         "Our company {ctx} must decide whether to release a product that helps many users "
         "but harms a few. Analyze the decision through {x} and {y}, explain where they "
         "disagree and design a decision rule we should use.",
         "Compare how {x} and {y} treat moral luck, with {n} concrete cases, and argue which "
         "view is more coherent."),
    ),
    Topic(
        "fitness",
        ("push-ups", "a marathon", "weight loss", "muscle gain", "yoga", "stretching",
         "HIIT workout", "protein intake", "squats", "running shoes", "a home workout",
         "resting heart rate", "creatine", "deadlift"),
        ("How to do {x}?", "is {x} good for me", "Tips for {x}?", "{x} vs {y}",
         "How often should I do {x}?"),
        ("Make a 4-week plan for {x} for a beginner.",
         "What should I eat for {x}?",
         "Explain how {x} and {y} help recovery.",
         "Create a 20-minute {x} with no equipment."),
        ("Design a 16-week training plan for {x} for a 45-year-old runner with knee pain who "
         "can train at most {n} hours a week. Each week must progress by at most 10%, include "
         "{y}, and explain the physiology behind each phase; calculate the weekly mileage.",
         "Calculate my daily calories and macros for {x} (male, 82 kg, 180 cm, 34, "
         "{n} workouts a week), explain the formula, and design a plan combining {y} that "
         "must keep muscle.",
         "Analyze why my {x} stalled for {n} weeks and design a program with {y} to break "
         "the plateau, explaining each change."),
    ),
    Topic(
        "language_learning",
        ("Spanish", "French", "Japanese", "German", "Mandarin", "English grammar",
         "the subjunctive mood", "verb conjugation", "pronunciation", "vocabulary",
         "Korean", "Italian", "phrasal verbs", "the past tense"),
        ("How do I learn {x}?", "Is {x} hard?", "Best app for {x}?", "{x} vs {y}",
         "How long to learn {x}?"),
        ("Explain {x} with 5 example sentences.",
         "Translate this paragraph into {x} and explain the grammar.",
         "Make a 30-day plan to improve my {x}.",
         "What are the most common mistakes in {x}?"),
        ("Design a 6-month curriculum for a team {ctx} that must reach B2 in {x} from A2, "
         "with at most {n} hours a week. Each module must target {y}; explain how progress "
         "will be measured and why the sequence is correct.",
         "Translate this contract clause into {x} precisely, keeping the legal meaning "
         "exactly, then explain each choice of {y} and where a literal translation would be "
         "wrong: 'The supplier shall not be liable for indirect damages.'",
         "Compare how {x} and {y} express politeness in {n} situations, with examples and "
         "the exact grammar rules."),
    ),
    Topic(
        "career",
        ("job interview", "resume", "cover letter", "salary negotiation", "LinkedIn profile",
         "career change", "performance review", "promotion", "remote work",
         "burnout", "networking", "internship", "a difficult manager", "leadership"),
        ("How to prepare for a {x}?", "tips for {x}", "What is a good {x}?", "{x} vs {y}",
         "Is {x} normal?"),
        ("Write a {x} for a junior data analyst role.",
         "How do I answer 'tell me about yourself' in a {x}?",
         "Give me advice on {x} after 5 years at the same company.",
         "Improve this {x}: 'I am a hard worker who likes teams.'"),
        ("I lead a team of {n} engineers {ctx} and two of them are close to {x}. Analyze the "
         "causes, design a 90-day plan that must keep our release dates, explain how to "
         "handle the {y}, and describe exactly what I should say in each one-on-one.",
         "I have an offer of $120,000 and my current job pays $105,000 plus {n}% bonus. "
         "Calculate the real difference including equity and {y}, and write the exact script "
         "for a {x} that must not risk the offer.",
         "Design a {x} strategy for moving from teaching into software {ctx} within {n} "
         "months, with each step, the costs, and how to explain the {y} in interviews."),
    ),
    Topic(
        "gardening",
        ("tomato plants", "compost", "houseplants", "roses", "a vegetable garden", "lawn care",
         "succulents", "fruit trees", "raised beds", "aphids", "seed starting", "orchids",
         "watering schedule", "soil pH"),
        ("How do I grow {x}?", "why are my {x} dying", "Best soil for {x}?", "{x} vs {y}",
         "When to plant {x}?"),
        ("Make a planting calendar for {x} in a temperate climate.",
         "How do I get rid of {x} naturally?",
         "Explain how {x} affects {y}.",
         "Plan a small balcony garden with {x}."),
        ("Design a {n} square meter {x} {ctx} that must feed a family of 4 from May to "
         "October, with crop rotation, companion planting and {y}; calculate the expected "
         "yield of each bed and explain every choice.",
         "My {x} have yellow leaves with brown spots and the {y} is 8.1. Analyze the likely "
         "causes step by step, explain how to verify each with a test, and design a fix "
         "within {n} weeks.",
         "Compare drip irrigation and hand watering for {x} over {n} beds, calculate the "
         "water used, and explain the effect on {y}."),
    ),
)

# A few prompts in other languages: ingest's language filter drops them.
FOREIGN = (
    ("Spanish", "¿Cuál es la mejor manera de aprender a programar en Python desde cero?"),
    ("French", "Pouvez-vous m'expliquer comment fonctionne la photosynthèse en détail ?"),
    ("German", "Wie kann ich meine Steuererklärung als Freiberufler am besten vorbereiten?"),
    ("Portuguese", "Qual é a diferença entre juros simples e juros compostos na prática?"),
    ("Italian", "Come posso preparare un buon risotto ai funghi per sei persone?"),
    ("Chinese", "请解释一下机器学习中的过拟合是什么，以及如何避免它？"),
)

# Too short to be a benchmark question: ingest's min_chars filter drops them.
SHORT = ("hi", "thanks!", "hello there", "ok", "who are you?", "tell me a joke")
