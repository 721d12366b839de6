"""The model servers people would pick instead (BentoML, MLServer), each in its own virtual environment made
by the bench, serving the same kind of scikit-learn model as ours: see ``benchmarks.peers_bench``."""
