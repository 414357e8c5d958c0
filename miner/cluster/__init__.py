"""Topic clustering: BERTopic (UMAP + HDBSCAN + c-TF-IDF) fitted on a seeded sample of the
stored embeddings, every other prompt assigned by its nearest neighbours in that sample,
broad categories over the topics, and keyword or LLM-written topic names.

`run_cluster` is the stage; `miner.artifacts.read_topic_info` reads what it wrote. Heavy
libraries are imported inside the functions that use them.
"""

from miner.cluster.stage import run_cluster

__all__ = ["run_cluster"]
