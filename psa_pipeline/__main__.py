from psa_pipeline.cli import run

run()
