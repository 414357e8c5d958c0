"""Word lists and patterns the offline heuristic judge reads prompts with.

Plain data: each list is what its name says, matched as whole words (case-folded) or as a
pattern. Only the first `HEAD_CHARS` characters of a prompt are read, which bounds the cost of
a pasted log.
"""

from __future__ import annotations

import re

HEAD_CHARS = 4000
# every pattern below is matched against the case-folded text


_TOKEN = re.compile(r"\.?[a-z0-9][a-z0-9+#.&'/_-]*")
_EDGES = ".,'/:-_"


def tokens(lowered: str) -> set[str]:
    """The distinct word tokens of case-folded text, with the forms terms are looked up by:
    edge punctuation stripped, and without a possessive or a version number ("vue3")."""
    found = set()
    for raw in _TOKEN.findall(lowered):
        token = raw.strip(_EDGES)
        if not token:
            continue
        found.add(token)
        if token.endswith("'s"):
            found.add(token[:-2])
        bare = token.rstrip("0123456789.")
        if bare and bare != token:
            found.add(bare)
    return found


class Terms:
    """A word list: single words looked up in a token set, phrases ("_" = a space or a
    hyphen) matched by one pattern."""

    def __init__(self, *groups: str) -> None:
        words = {w for group in groups for w in group.split()}
        self.single = frozenset(w for w in words if "_" not in w)
        phrases = sorted((w for w in words if "_" in w), key=len, reverse=True)
        body = "|".join(re.escape(p).replace("_", r"[\s-]") for p in phrases)
        self.phrases = re.compile(rf"\b(?:{body})\b") if phrases else None

    def found(self, lowered: str, words: set[str]) -> set[str]:
        """The distinct terms of this list in `lowered` (whose `tokens` are `words`)."""
        hits = self.single & words
        if self.phrases is not None:
            hits |= set(self.phrases.findall(lowered))
        return hits


WORD = re.compile(r"[^\W\d_][\w'\-]*")

# programming languages, tools, platforms and computing concepts ("_" matches a space or "-")
TECH = Terms(
    "python java javascript typescript c++ c# golang rust kotlin swift scala ruby php perl "
    "haskell lisp scheme clojure elixir erlang ocaml fortran cobol matlab julia lua luau dart "
    "vba bash shell powershell zsh sql mysql postgres postgresql sqlite mongodb redis "
    "cassandra elasticsearch kafka spark hadoop pandas numpy scipy pytorch tensorflow keras "
    "sklearn scikit-learn jax huggingface transformers langchain react vue angular svelte "
    "node nodejs node.js express django flask fastapi laravel symfony rails spring springboot "
    "dotnet .net asp.net blazor unity unreal godot roblox opengl glsl hlsl shader webgl "
    "cuda vulkan directx html css scss tailwind bootstrap jquery json yaml xml csv regex "
    "api apis rest graphql grpc http https websocket tcp udp ip dns ssh ssl tls oauth jwt "
    "docker kubernetes k8s helm terraform ansible aws azure gcp lambda s3 ec2 linux ubuntu "
    "debian windows macos ios android unix kernel git github gitlab ci/cd jenkins nginx "
    "apache compiler interpreter debugger runtime bytecode assembly x86 arm risc-v verilog "
    "vhdl fpga microcontroller arduino raspberry_pi embedded firmware plc "
    "algorithm algorithms recursion recursive iterator iterators pointer pointers array "
    "arrays linked_list hashmap hash_table dictionary binary_tree graph_traversal heap queue "
    "stack mutex thread threads threading async await concurrency coroutine coroutines "
    "multiprocessing parallelism latency throughput cache caching database databases schema "
    "query queries index indexes orm crud backend frontend full-stack microservice "
    "microservices server serverless client-side frontend middleware endpoint endpoints sdk "
    "framework library module package dependency dependencies compile compiled runtime "
    "function functions method methods class classes object-oriented oop interface struct "
    "enum variable variables integer boolean string strings parse parser parsing lexer "
    "tokenizer serialization encryption decryption cryptography hash hashing blockchain "
    "smart_contract solidity ethereum neural_network neural_networks machine_learning "
    "deep_learning reinforcement_learning llm llms gpt bert transformer embedding embeddings "
    "fine-tune fine-tuning gradient_descent backpropagation overfitting classifier "
    "regression_model dataset datasets dataframe tensor tensors convolutional cnn rnn lstm "
    "nlp computer_vision opencv image_processing signal_processing fft encoder decoder "
    "vector_database faiss spreadsheet excel google_sheets formula macro power_bi tableau "
    "wordpress shopify chrome_extension browser webpack vite npm pip conda virtualenv "
    "jupyter vscode vim emacs cli gui qt pyqt tkinter streamlit gradio flutter "
    "xamarin swiftui jetpack_compose unit_test unit_tests pytest junit selenium playwright "
    "cypress devops mlops etl data_pipeline data_warehouse snowflake bigquery databricks "
    "airflow dbt latex markdown network networking firewall vpn router subnet cybersecurity "
    "vulnerability exploit malware penetration_testing sql_injection xss csrf "
    "operating_system virtual_machine vm hypervisor filesystem memory_leak garbage_collection "
    "big-o time_complexity space_complexity dynamic_programming sorting binary_search "
    "odoo sap salesforce jira servicenow power_automate zapier excel_formula vb.net "
    "code coding program programming script scripts software developer app webapp "
    "web_app website svg visual_basic r_code matplotlib seaborn plotly d3 ggplot gradio "
    "wsdl soap gpx ecmascript es6 gherkin cucumber luarocks lapis datalog prolog "
    "assembler nasm mips cpu gpu ram ssd bios uefi usb gpio i2c spi uart bluetooth wifi "
    "octave simulink labview xaml wpf winforms fragment recyclerview activity toolbar "
    "blender maya autocad solidworks gddr ddr dram vram bandwidth kalman fractal "
    "sierpinski mandelbrot canvas pixel pixels sprite pygame three.js threejs p5.js "
    "esp32 stm32 obsidian notion jekyll hugo gatsby next.js nextjs nuxt deno electron "
    "tauri webassembly wasm monte_carlo backtest backtesting black-scholes sharpe "
    "quant numba cython ctypes ffi jni ndk gradle maven cmake makefile llvm gcc clang "
    "rustc cargo npm yarn pnpm composer poetry pipenv venv systemd systemctl cron crontab "
    "rclone rsync samba nfs ldap active_directory kerberos saml sso vpc iam s3 rds "
    "dynamodb firebase supabase heroku vercel netlify cloudflare cdn load_balancer "
    "redux mobx rxjs hooks jsx tsx sass less webhook websockets socket sockets ipv4 ipv6 "
    "packet packets mqtt modbus opc-ua ros lidar slam gis geopandas shapefile qgis "
    "postgis leaflet mapbox openai chatgpt gpt-4 prompt_engineering rag vector_store "
    "tokenization quantization lora diffusion gan gans vae autoencoder attention "
    "xgboost lightgbm catboost random_forest svm k-means kmeans clustering pca "
    "hyperparameter hyperparameters cross-validation auc f1 precision_recall",
)

# terms of other fields a good answer needs knowledge of
DOMAIN = Terms(
    "physics quantum relativity thermodynamics thermodynamic entropy mechanics kinematics "
    "momentum velocity acceleration torque voltage current resistor capacitor inductor "
    "circuit circuits transistor semiconductor electromagnetic optics wavelength frequency "
    "oscillator hamiltonian lagrangian chemistry chemical molecule molecules molecular "
    "reaction compound compounds enzyme enzymes protein proteins dna rna gene genes genetic "
    "genome genomics cell cells biology biological neuron neurons evolution ecology species "
    "photosynthesis metabolism bacteria virus viral vaccine immune antibody clinical "
    "diagnosis diagnostic symptoms treatment therapy disease syndrome sepsis pharmacology "
    "dosage medication drug_interaction pathology anatomy physiology cardiology oncology "
    "surgery patient patients hospital epidemiology nutrition nutrient nutrients hydroponic "
    "hydroponics fertilizer soil agriculture agronomy geology climate meteorology "
    "astronomy astrophysics orbit orbital planet galaxy "
    "mathematics algebra geometry calculus integral integrals derivative derivatives "
    "differential equation equations theorem lemma proof probability statistics statistical "
    "variance standard_deviation distribution regression hypothesis bayesian matrix matrices "
    "eigenvalue eigenvalues eigenvector vector vectors polynomial logarithm exponential "
    "combinatorics permutation permutations topology manifold fourier laplace "
    "law legal statute statutes contract contracts liability tort litigation jurisdiction "
    "constitution constitutional regulation regulations compliance gdpr hipaa copyright "
    "patent trademark lawsuit attorney court plaintiff defendant "
    "finance financial accounting audit tax taxes taxation revenue profit margin ebitda "
    "valuation portfolio investment investing equity equities stock stocks bond bonds "
    "dividend options futures hedge derivatives_trading liquidity inflation interest_rate "
    "mortgage loan amortization depreciation balance_sheet cash_flow income_statement "
    "liabilities assets stockholders economics economic macroeconomics microeconomics gdp "
    "monetary fiscal supply_chain logistics procurement inventory forecasting "
    "marketing seo go-to-market pricing_strategy business_plan business_model kpi kpis okr "
    "okrs roi saas b2b b2c crm erp "
    "engineering structural civil_engineering mechanical_engineering electrical_engineering "
    "aerospace hvac cad finite_element simulation manufacturing lean six_sigma "
    "architecture urban_planning construction "
    "philosophy epistemology ethics metaphysics linguistics phonetics syntax semantics "
    "grammar etymology psychology cognitive neuroscience sociology anthropology history "
    "historical geopolitics "
    "music_theory chord chords harmony melody counterpoint scale key_signature tempo "
    "rhythm abc_notation meter iambic_pentameter sonnet haiku "
    "chess poker rubik's rubiks sudoku puzzle "
    "incident_response risk_management threat_model iso_27001 nist soc2 "
    "pedagogy curriculum education teaching philosophical moral morality ideology politics "
    "political democracy democratic government governance election policy policies "
    "sovereignty diplomacy war wars revolution empire civilization colonial colonialism "
    "slavery civil_rights economy economies capitalism communism socialism market_economy "
    "artificial_intelligence ai automation art artists painting painters impressionist "
    "renaissance baroque literature literary novelist symbolism theme themes rhetoric "
    "religion religious theology biblical scripture culture cultural society social_media "
    "health medical medicine cardiovascular exercise aerobic fitness diet calories sleep "
    "mental_health anxiety depression environment environmental sustainability renewable "
    "solar emissions pollution biodiversity ecosystem energy electricity battery engine "
    "vehicle aviation radar missile ballistic artillery military strategy tactics "
    "research methodology scientific experiment hypothesis peer_review thesis dissertation "
    "psychology sociology demographics population urbanization migration immigration "
    "journalism media advertising branding negotiation leadership management "
    "entrepreneur startup venture_capital fundraising crypto cryptocurrency bitcoin "
    "trading hodl dnd d&d spells campaign lojban linguistic dialect translation_theory "
    "confidence_interval dice odds expected_value swot pestel porter recipe recipes "
    "baking bake dough ferment fermentation yeast brewing mead wine cocktail "
    "rpg gurps tabletop dungeon iso ieee ansi fico credit_score underwriting insurance "
    "actuarial pension retirement 401k ira real_estate zoning permit permits",
)

# code or code-like syntax
CODE = re.compile(
    r"```|^\s*(def|class|import|from \w+ import|#include|public |private |function|const |"
    r"let |var |select |insert |create table|for \(|while \(|if \(|return\b)|"
    r"[a-z_]\w*\([^()\n]{0,60}\)\s*[{;:]|=>|::|\$\w+\s*=|</?\w+[^>]*>|"
    r"\b\w+\.\w+\(|[{};]\s*$",
    re.M,
)
MATH = re.compile(
    r"\d\s*[-+*/^×÷=<>≤≥]\s*\d|\b[a-z]\s*[=<>≤≥]\s*[-\d(a-z]|\$[^$\n]+\$|\\(frac|int|sum|"
    r"sqrt|begin|mathbb|alpha|beta|lambda|dot)|[∫∑√π≈∞∂]|\b[a-z]\^\d|\bf\([a-z]\)",
)
MATH_WORDS = Terms(
    "integral integrate derivative differentiate equation equations solve_for prove proof "
    "theorem probability expected_value variance polynomial matrix eigenvalue factorial "
    "prime primes modulo logarithm sqrt square_root calculate compute arithmetic fraction "
    "percentage ratio integrals derivatives primes fractions percentages ratios matrices",
)

# request verbs and question openers: the prompt asks for something
TASK = re.compile(
    r"\b(write|explain|implement|create|build|design|develop|calculate|compute|solve|prove|"
    r"derive|compare|analy[sz]e|optimi[sz]e|debug|fix|convert|translate|summari[sz]e|"
    r"generate|list|describe|draft|plan|estimate|refactor|make|give|provide|show|tell|help|"
    r"find|suggest|recommend|propose|outline|evaluate|identify|determine|code|program|"
    r"script|rewrite|edit|improve|simulate|model|predict|classify|extract|parse|automate|"
    r"configure|set up|setup|install|deploy|teach|how|what|why|which|when|where|who|can you|"
    r"could you|would you|please|i need|i want|i'd like)\b",
)
# asks for an artefact to be made
BUILD = re.compile(
    r"\b(write|implement|create|build|design|develop|code|program|generate|make|construct|"
    r"draft|set up|setup|configure|automate|refactor|convert|port|optimi[sz]e|modify|"
    r"extend|add)\b[^.?!\n]{0,80}\b(code|script|program|function|class|method|app|"
    r"application|tool|bot|api|query|queries|algorithm|system|framework|module|library|"
    r"plugin|extension|website|web ?site|page|server|service|database|schema|model|pipeline|"
    r"architecture|plan|strategy|specification|spec|table|chart|formula|macro|test|tests|"
    r"simulation|game|parser|interface|component|workflow|dashboard|regex|shader|circuit|"
    r"protocol|curriculum|budget|schedule|framework|proposal|roadmap|diagram|policy|"
    r"procedure|template|solution|implementation|version|in \w+)\b",
)
# asks to work something out
SOLVE = re.compile(
    r"\b((solv|prov|deriv|calculat|comput|debug|troubleshoot|diagnos|optimi[sz]|"
    r"estimat|determin|evaluat|analy[sz])\w*|find (the|a|all|out)|figure out|work out|"
    r"step[- ]by[- ]step|why (does|do|is|isn't|doesn't|am i)|how (can|do|would|should|to) "
    r"(i|we|you)?\s*(\w+ ){0,3}(fix|solve|implement|build|make|get|create|handle|avoid|"
    r"prevent|improve|optimi[sz]e|calculate|design|use|set|run|write|configure|deploy|"
    r"integrate|detect|convert|achieve|reduce|increase|mock|access|allocate)|"
    r"what is wrong|not working|doesn't work|error|bug|exception|traceback|crash\w*|"
    r"how many|how much|what is the (best|optimal|fastest|most efficient)|minimi[sz]e|"
    r"maximi[sz]e|trade-?offs?)\b",
)
# a verb asking for something to be made or done (with or without its object named)
MAKE = re.compile(
    r"\b(write|implement|create|build|design|develop|code|program|generate|make|construct|"
    r"draft|set up|setup|configure|automate|refactor|convert|port|extract|parse|query|"
    r"visuali[sz]e|plot|train|fine-?tune|deploy|install|integrate|migrate|scrape|"
    r"compile|test|simulate|model|encrypt|decrypt|sort|merge|concatenate|connect)\b")
# "how do I ...": a question about a method
HOW = re.compile(r"\b(how (can|could|do|does|would|should|to|is|are|did)|what('s| is) the (best|"
                 r"right|correct|most \w+) (way|method|approach)|is there a way|ways? to)\b")
# asks for reasoning over a subject: compare, explain why, weigh, assess
ANALYTIC = re.compile(
    r"\b(compare|contrast|differen(ce|ces|t) between|differ|advantages|disadvantages|"
    r"pros and cons|benefits and (risks|drawbacks|challenges)|trade-?offs?|impact(s|ed)? "
    r"(of|on)|effects? (of|on)|affect(s|ed)?|implications?|significance|role of|relat(e|es|"
    r"ed|ionship) (to|between)|why (did|do|does|is|are|was|were)|how (did|does|do|would|has|"
    r"have) \w+ (\w+ )?(affect|change|impact|influence|shape|work|differ|relate|evolve)|"
    r"evaluate|assess|discuss|analy[sz]e|critique|argue|explain (how|why|the)|in detail)\b")
# stated conditions: quantities, musts, list items, "using X", "without Y"
CONSTRAINT = re.compile(
    r"\b(must|should|at least|at most|no more than|fewer than|less than|more than|without|"
    r"only|exactly|ensure|make sure|each|every|both|also|then|using|use|with (a|an|the)|"
    r"such that|so that|given|assume|assuming|constraints?|requirements?|including|"
    r"in (a|the) (style|format|form|voice) of|format(ted)? as|do not|don't|avoid|"
    r"\d+ (words?|sentences?|paragraphs?|lines?|items?|examples?|steps?|bullet|points?|"
    r"ideas?|questions?|options?|characters?))\b|^\s*(\d+[.)]|[-*•])\s",
    re.M,
)
# original writing or ideas
CREATIVE = Terms(
    "story stories poem poems poetry song songs lyrics lyric novel fiction fictional "
    "character characters imagine invent brainstorm creative creatively original slogan "
    "slogans tagline script screenplay haiku limerick sonnet fantasy metaphor riddle pitch "
    "rhyme rhymes rhyming joke jokes narrative fable tale dialogue roleplay role-play "
    "worldbuilding plot melody tune chord_progression ideas names catchy witty humorous "
    "funny unique innovative novel_approach write_a_letter sentences rap verse verses "
    "scene chapter episode persona",
)
PRECISE = Terms(
    "exact exactly precise precisely correct correctly accurate accurately verify validate "
    "detailed in_detail rigorous rigorously optimal optimum efficient efficiently "
    "step-by-step step_by_step complexity proof unit_test benchmark specific amount "
    "amounts measurements quantities",
)
CHAT = re.compile(
    r"^\W*(hi|hello|hey|yo|thanks|thank you|thx|good (morning|night|evening|afternoon)|"
    r"how are you|what'?s up|who are you|what is your name|are you (there|real|human|"
    r"sentient|alive)|ok|okay|cool|nice|great|lol|bye|test|testing)\b|^\W*(continue|go on|"
    r"more|again|yes|no)\W*$",
)
LOOKUP = re.compile(
    r"^(who (is|was|are|were)|what (is|was|are|were) (a |an |the )?\w+\W*$|when (is|was|did)|"
    r"where (is|was|are)|what does \w+ mean|define |meaning of |how old|how tall|"
    r"what year|what time|what day)",
)
REWRITE = re.compile(
    r"^\W*(please\s+)?(rewrite|rephrase|paraphrase|reword|translate|summari[sz]e|proofread|"
    r"correct (the )?grammar|fix (the )?grammar|shorten|simplify|make (it|this) (shorter|"
    r"longer|better|more))\b",
)
HARM = Terms(
    "steal stealing kill killing murder hurt poison bomb explosive weapon weapons drug "
    "drugs cocaine heroin meth racist racism insult insults slur slurs cuss swear "
    "prank revenge cheat cheating shoplift rob robbery kidnap torture suicide porn "
    "sexy nude naked hack_into break_into fake_id launder",
)
